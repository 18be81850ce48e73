"""What a change looked like, as JSON-friendly data with secrets masked: the audit log's
before/after, written by every service through `common.events.publish`."""

import datetime
import decimal
import hashlib
import uuid

from django.db import models

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
