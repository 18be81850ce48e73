"""What makes a booking acceptable, apart from overlaps (services.py checks those under a lock)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import ngettext

from common import times
from common.exceptions import PermissionDenied
from resources.models import Resource
from resources.parameters import clean_parameters
from tenancy.access import can_admin_site, is_site_member, owns_or_administers, require_site_member


def human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % (60 * 24) == 0:
        days = minutes // (60 * 24)
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def local(moment: datetime, resource: Resource) -> str:
    return times.at(moment, times.site_zone(resource.site))


def require_can_book(*, actor, resource: Resource, owner) -> None:
    site_id = resource.site_id
    require_site_member(actor, site_id, "You are not a member of this resource's site.")
    if owner.pk != getattr(actor, "pk", None) and not can_admin_site(actor, site_id):
        raise PermissionDenied("Only a site administrator may book for someone else.")
    if not is_site_member(owner, site_id):
        raise ValidationError({"owner": f"{owner.get_username()} is not a member of {resource.site.name}."})


def may_change(user, reservation) -> bool:
    return owns_or_administers(user, owner_id=reservation.owner_id, site_id=reservation.resource.site_id)


def require_can_change(*, actor, reservation) -> None:
    if may_change(actor, reservation):
        return
    raise PermissionDenied("Only the owner or a site administrator may change this booking.")


# A booking may start this much before "now" (a form submitted at 10:00:30 for 10:00).
PAST_GRACE = timedelta(minutes=1)


@dataclass(frozen=True)
class Limits:
    """When and how long `actor` may book one resource: what `check` enforces and what the
    free-slot search offers, so that search never offers what booking refuses."""

    earliest: datetime | None  # first allowed start (None: any, for site administrators)
    latest: datetime | None  # last allowed start (the type's horizon)
    min_duration: timedelta
    max_duration: timedelta | None

    def duration_errors(self, duration: timedelta, kind_name: str) -> list[str]:
        errors = []
        if self.min_duration and duration < self.min_duration:
            errors.append(f"{kind_name} bookings last at least {human(self.min_duration)}.")
        if self.max_duration and duration > self.max_duration:
            errors.append(f"{kind_name} bookings last at most {human(self.max_duration)}.")
        return errors


def describe(resource: Resource) -> str:
    """The type's limits in words, for people about to book ("at most 8 hour(s), up to 60 day(s) ahead,
    30 minute(s) cleanup after each booking")."""
    kind = resource.resource_type
    said = []
    if kind.min_duration:
        said.append(f"at least {human(kind.min_duration)}")
    if kind.max_duration:
        said.append(f"at most {human(kind.max_duration)}")
    if kind.min_notice:
        said.append(f"booked at least {human(kind.min_notice)} ahead")
    if kind.max_horizon:
        said.append(f"up to {human(kind.max_horizon)} ahead")
    if resource.cleanup_time:
        said.append(f"{human(resource.cleanup_time)} cleanup after each booking")
    if kind.requires_approval:
        said.append("needs a site administrator's approval")
    if kind.checkin_window:
        said.append(f"check in within {human(kind.checkin_window)} of the start")
    return (
        f"{kind.name} bookings: {', '.join(said)}." if said else f"{kind.name}: no limits on length or how far ahead."
    )


def limits(*, actor, resource: Resource, now: datetime | None = None) -> Limits:
    now = now or timezone.now()
    kind = resource.resource_type
    return Limits(
        earliest=None if can_admin_site(actor, resource.site_id) else now + (kind.min_notice or timedelta(0)),
        latest=now + kind.max_horizon if kind.max_horizon else None,
        min_duration=kind.min_duration or timedelta(0),
        max_duration=kind.max_duration,
    )


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
    if not resource.is_bookable:
        errors["resource"] = [f"{resource.name} is {resource.get_status_display().lower()} and cannot be booked."]
    kind = resource.resource_type
    allowed = limits(actor=actor, resource=resource)
    if end > start:
        errors.setdefault("end", []).extend(allowed.duration_errors(end - start, kind.name))
    if allowed.latest and start > allowed.latest:
        errors.setdefault("start", []).append(f"{kind.name} can be booked at most {human(kind.max_horizon)} ahead.")
    if start_changed and allowed.earliest and start < allowed.earliest - PAST_GRACE:
        if kind.min_notice and start >= timezone.now() - PAST_GRACE:
            errors.setdefault("start", []).append(
                f"{kind.name} bookings are made at least {human(kind.min_notice)} ahead: "
                f"the earliest start now is {local(allowed.earliest, resource)}."
            )
        else:
            errors.setdefault("start", []).append("A booking cannot start in the past.")
    errors = {name: messages for name, messages in errors.items() if messages}
    try:
        cleaned = clean_parameters(kind.parameter_schema or [], parameters)
    except ValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        errors["parameters"] = [f"{key}: {' '.join(msgs)}" if key else " ".join(msgs) for key, msgs in detail.items()]
        cleaned = {}
    if errors:
        raise ValidationError(errors)
    return cleaned
