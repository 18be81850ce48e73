"""How a change leaves the domain: one call, inside the service's transaction."""

from django.db import models

from audit import services as audit
from audit.models import Severity


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


snapshot = audit.snapshot
