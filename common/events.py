"""How a change leaves the domain: one call, inside the service's transaction."""

from collections import defaultdict
from collections.abc import Callable

from django.db import models

from audit import services as audit
from audit.models import Severity

_subscribers: dict[str, list[Callable]] = defaultdict(list)


def subscribe(action: str, handler: Callable) -> None:
    """Let an app react, in the same transaction, to another app's change without either importing
    the other (e.g. bookings to a resource going into maintenance). Register in AppConfig.ready()."""
    if handler not in _subscribers[action]:
        _subscribers[action].append(handler)


def publish(
    action: str,
    *,
    actor,
    instance: models.Model,
    site_id: int | None,
    before: dict | None = None,
    after: dict | None = None,
    severity: str = Severity.INFO,
    message: str = "",
    options: dict | None = None,
) -> None:
    """Record that `instance` was created, changed or deleted (before/after are audit snapshots)."""
    audit.record(
        action=action,
        actor=actor,
        instance=instance,
        site_id=site_id,
        changes=audit.diff(before, after),
        severity=severity,
        message=message,
    )
    for handler in _subscribers.get(action, []):
        handler(actor=actor, instance=instance, before=before or {}, after=after or {}, **(options or {}))


snapshot = audit.snapshot
