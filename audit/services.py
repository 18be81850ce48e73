"""Writing the audit log. Called inside the caller's transaction, so an entry exists exactly when
the change it describes does."""

from django.db import models

from common.db.inserts import insert_row
from common.request_context import current

from .models import AuditEntry, Severity


def record(
    *,
    action: str,
    actor=None,
    instance: models.Model | None = None,
    site_id: int | None = None,
    changes: dict | None = None,
    severity: str = Severity.INFO,
    message: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    context = current()
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk or "")
        object_repr = object_repr or str(instance)[:200]
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        actor_id=actor.pk if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        category=action.split(".", 1)[0],
        severity=severity,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        site_id=site_id,
        changes=changes or {},
        message=message,
        ip=context.ip,
        user_agent=context.user_agent,
        request_id=context.request_id,
    )
    insert_row(entry)  # written with every change: its INSERT is not compiled again each time
    return entry


def record_refusal(request, message: str) -> None:
    """A write that the user's role does not allow."""
    user = getattr(request, "user", None)
    record(
        action="auth.permission_denied",
        actor=user,
        severity=Severity.WARNING,
        message=f"{request.method} {request.path}: {message}"[:2000],
    )
