"""Writing the audit log. Called inside the caller's transaction, so an entry exists exactly when
the change it describes does."""

import datetime
import decimal
import hashlib
import uuid

from django.db import models

from common.request_context import current

from .models import AuditEntry, Severity

MASK = "********"
SECRET_FIELDS = frozenset(
    {"password", "digest", "secret", "previous_secret", "token", "client_secret", "signing_secret"}
)


# Fields whose keys may be shown but whose values are secrets (a webhook's custom headers carry API keys).
KEYED_SECRET_FIELDS = frozenset({"headers"})


def mask_values(mapping) -> dict:
    """{name: "********#1a2b3c"}: the names, and a short fingerprint that shows a value changed
    without telling what it is."""
    if not isinstance(mapping, dict):
        return mapping
    return {
        name: f"{MASK}#{hashlib.sha256(str(value).encode()).hexdigest()[:6]}" if value else value
        for name, value in mapping.items()
    }


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | datetime.timedelta):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model) -> dict:
    """Concrete field values as JSON-friendly data (foreign keys as ids), secrets masked."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in ("created", "updated"):
            continue
        value = getattr(instance, field.attname)
        if field.name in KEYED_SECRET_FIELDS:
            data[field.name] = mask_values(value)
        else:
            data[field.name] = MASK if field.name in SECRET_FIELDS and value else _plain(value)
    return data


def diff(before: dict | None, after: dict | None) -> dict:
    before, after = before or {}, after or {}
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


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
    return AuditEntry.objects.create(
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


def record_refusal(request, message: str) -> None:
    """A write that the user's role does not allow."""
    user = getattr(request, "user", None)
    record(
        action="auth.permission_denied",
        actor=user,
        severity=Severity.WARNING,
        message=f"{request.method} {request.path}: {message}"[:2000],
    )
