"""How times are written for people, everywhere (pages, notifications, emails, CSV, messages).

A booking's times are in its site's time zone, named ("14:00-18:00 CET"), and, when the viewer's
own zone shows another wall-clock time, that one beside it ("13:00-17:00 UTC your time")."""

import zoneinfo
from datetime import UTC, datetime, tzinfo

from django.utils import timezone

DAY = "%a %Y-%m-%d"
DASH = "\u2013"  # an en dash between times
CLOCK = "%H:%M"


def zone(name: str | None) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(name) if name else timezone.get_current_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def site_zone(site) -> tzinfo:
    return zone(site.time_zone)


def user_zone(user) -> tzinfo | None:
    """The viewer's own zone from their profile; None until they (or their browser) chose one."""
    profile = getattr(user, "profile", None) if getattr(user, "is_authenticated", False) else None
    name = getattr(profile, "time_zone", "")
    return zone(name) if name else None


def at(moment: datetime, where: tzinfo, *, with_day: bool = True) -> str:
    """'Tue 2026-12-01 14:00 CET' (or '14:00 CET')."""
    local = moment.astimezone(where)
    return local.strftime(f"{DAY} {CLOCK} %Z" if with_day else f"{CLOCK} %Z")


def _span(start: datetime, end: datetime, where: tzinfo) -> str:
    first, last = start.astimezone(where), end.astimezone(where)
    if first.date() == last.date():
        return f"{first.strftime(DAY)} {first.strftime(CLOCK)}{DASH}{last.strftime(CLOCK)} {last.strftime('%Z')}"
    return f"{at(first, where)} {DASH} {at(last, where)}"


def _same_wall_clock(moment: datetime, a: tzinfo, b: tzinfo) -> bool:
    return moment.astimezone(a).utcoffset() == moment.astimezone(b).utcoffset()


def span(start: datetime, end: datetime, where: tzinfo, viewer: tzinfo | None = None) -> str:
    """'Tue 2026-12-01 14:00-18:00 CET', plus '(13:00-17:00 UTC your time)' when the viewer's
    zone reads differently."""
    text = _span(start, end, where)
    if viewer is not None and not (_same_wall_clock(start, where, viewer) and _same_wall_clock(end, where, viewer)):
        text += f" ({_span(start, end, viewer)} your time)"
    return text


def booking_span(booking, viewer: tzinfo | None = None) -> str:
    return span(booking.start, booking.end, site_zone(booking.resource.site), viewer)


def stamp(moment: datetime, where: tzinfo | None = None, *, seconds: bool = False) -> str:
    """When something happened (a notification, an audit entry), in the viewer's zone, named."""
    clock = "%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z"
    return moment.astimezone(where or timezone.get_current_timezone()).strftime(clock)


def on_clock(wall: datetime, where: tzinfo) -> datetime:
    """A wall-clock time read at a place, as an aware moment. Raises ValueError for a time that
    the clocks skip there (spring forward); in the repeated hour, the first one is meant."""
    moment = wall.replace(tzinfo=where, fold=0)
    if moment.astimezone(UTC).astimezone(where).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise ValueError(f"{wall:%Y-%m-%d %H:%M} does not exist in {where} (the clocks go forward).")
    return moment


def wall_clock(moment: datetime, where: tzinfo) -> datetime:
    """The naive wall-clock time at a place, for a form's initial value."""
    return moment.astimezone(where).replace(tzinfo=None, second=0, microsecond=0)
