"""How a change leaves the domain: one call, inside the service's transaction."""

from collections import defaultdict
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from .snapshots import diff, snapshot  # noqa: F401 - services describe their changes with events.snapshot


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


_subscribers: dict[str, list[Callable]] = defaultdict(list)
_outbox: list[Callable] = []
_audit_log: list = []


def keep_audit_log(log) -> None:
    """The audit app registers how entries are written (`record(**entry)` and
    `record_refusal(request, message)`) in its AppConfig.ready(); common never imports it."""
    _audit_log[:] = [log]


def _log():
    if not _audit_log:
        raise ImproperlyConfigured("No audit log is registered: the audit app must be installed.")
    return _audit_log[0]


def record(**entry) -> None:
    """An audit entry for something that is not a change of one object (a failed login, a lockout)."""
    _log().record(**entry)


def record_refusal(request, message: str) -> None:
    """A write that the user's role does not allow."""
    _log().record_refusal(request, message)


def register_outbox(writer: Callable) -> None:
    """The webhooks app registers how events are written to its outbox (domain apps never import it)."""
    if writer not in _outbox:
        _outbox.append(writer)


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
    event_data: dict | None = None,
    resource=None,
    resources: list | None = None,
) -> None:
    """Record that `instance` was created, changed or deleted (before/after are audit snapshots).
    With `event_data`, the change is also an event for webhooks (`action` is its type, `resource`
    decides which webhook scopes match; `resources`, for a change about several at once such as a
    lease, matches the scopes of any of them): its outbox rows are written in this same transaction."""
    _log().record(
        action=action,
        actor=actor,
        instance=instance,
        site_id=site_id,
        changes=diff(before, after),
        severity=severity,
        message=message,
    )
    if event_data is not None:
        for writer in _outbox:
            if resources is not None:
                writer(event_type=action, data=event_data, site_id=site_id, resources=resources)
            else:
                writer(event_type=action, data=event_data, site_id=site_id, resource=resource)
    for handler in _subscribers.get(action, []):
        handler(actor=actor, instance=instance, before=before or {}, after=after or {}, **(options or {}))
