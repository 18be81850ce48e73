"""What makes a booking acceptable, apart from overlaps (services.py checks those under a lock)."""

import zoneinfo
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.access import can_admin_site, visible_site_ids
from common.exceptions import PermissionDenied
from resources.models import Resource, ResourceStatus
from resources.parameters import clean_parameters


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % (60 * 24) == 0:
        return f"{minutes // (60 * 24)} day(s)"
    if minutes % 60 == 0:
        return f"{minutes // 60} hour(s)"
    return f"{minutes} minute(s)"


def local(moment: datetime, resource: Resource) -> str:
    tz = zoneinfo.ZoneInfo(resource.site.time_zone)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def require_can_book(*, actor, resource: Resource, owner) -> None:
    site_id = resource.site_id
    visible = visible_site_ids(actor)
    if visible is not None and site_id not in visible:
        raise PermissionDenied("You are not a member of this resource's site.")
    if owner.pk != getattr(actor, "pk", None) and not can_admin_site(actor, site_id):
        raise PermissionDenied("Only a site administrator may book for someone else.")
    owner_sites = visible_site_ids(owner)
    if owner_sites is not None and site_id not in owner_sites:
        raise ValidationError({"owner": f"{owner.get_username()} is not a member of {resource.site.name}."})


def require_can_change(*, actor, reservation) -> None:
    if actor is None or reservation.owner_id == actor.pk or can_admin_site(actor, reservation.resource.site_id):
        return
    raise PermissionDenied("Only the owner or a site administrator may change this booking.")


def check(
    *,
    actor,
    resource: Resource,
    start: datetime,
    end: datetime,
    parameters,
    start_changed: bool = True,
) -> dict:
    """Raises a ValidationError naming every broken rule; returns the cleaned parameters."""
    errors: dict[str, list[str]] = {}
    if start is None or end is None or timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationError({"start": "Give start and end with a time zone offset (ISO 8601)."})
    if end <= start:
        errors["end"] = ["The end must be after the start."]
    if resource.status != ResourceStatus.ACTIVE:
        errors["resource"] = [f"{resource.name} is {resource.get_status_display().lower()} and cannot be booked."]
    kind = resource.resource_type
    duration = end - start
    if end > start and kind.min_duration and duration < kind.min_duration:
        errors.setdefault("end", []).append(f"{kind.name} bookings last at least {_human(kind.min_duration)}.")
    if kind.max_duration and duration > kind.max_duration:
        errors.setdefault("end", []).append(f"{kind.name} bookings last at most {_human(kind.max_duration)}.")
    now = timezone.now()
    if kind.max_horizon and start > now + kind.max_horizon:
        errors.setdefault("start", []).append(f"{kind.name} can be booked at most {_human(kind.max_horizon)} ahead.")
    if start_changed and start < now - timedelta(minutes=1) and not can_admin_site(actor, resource.site_id):
        errors.setdefault("start", []).append("A booking cannot start in the past.")
    try:
        cleaned = clean_parameters(kind.parameter_schema or [], parameters)
    except ValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        errors["parameters"] = [f"{key}: {' '.join(msgs)}" if key else " ".join(msgs) for key, msgs in detail.items()]
        cleaned = {}
    if errors:
        raise ValidationError(errors)
    return cleaned
