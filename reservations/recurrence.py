"""Expanding RFC 5545 RRULEs (python-dateutil) in a site's local time, so that a weekly 09:00
booking stays at 09:00 on both sides of a daylight-saving change."""

import re
import zoneinfo
from datetime import UTC, datetime

from dateutil import rrule as dateutil_rrule
from django.conf import settings
from django.core.exceptions import ValidationError

ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY"}
_UNTIL = re.compile(r"UNTIL=([^;]+)", re.IGNORECASE)


def _local_until(rule: str, tz: zoneinfo.ZoneInfo) -> str:
    """RFC 5545 gives UNTIL in UTC ("...Z"); expansion runs on local wall-clock times."""

    def convert(match: re.Match) -> str:
        value = match.group(1).upper()
        try:
            if value.endswith("Z"):
                moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).astimezone(tz)
            elif "T" in value:
                moment = datetime.strptime(value, "%Y%m%dT%H%M%S")
            else:
                moment = datetime.strptime(value, "%Y%m%d").replace(hour=23, minute=59, second=59)
        except ValueError as exc:
            raise ValidationError({"rrule": f"UNTIL={value} is not a date or UTC time (YYYYMMDDTHHMMSSZ)."}) from exc
        return "UNTIL=" + moment.strftime("%Y%m%dT%H%M%S")

    return _UNTIL.sub(convert, rule)


def occurrences(rule: str, first_start: datetime, time_zone: str) -> list[datetime]:
    """Start times (aware, in the site's zone) of the occurrences of `rule` from `first_start`."""
    tz = zoneinfo.ZoneInfo(time_zone)
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts = {p.split("=", 1)[0].upper(): p for p in text.split(";") if "=" in p}
    if parts.get("FREQ", "").upper().split("=")[-1] not in ALLOWED_FREQUENCIES:
        raise ValidationError({"rrule": "FREQ must be DAILY, WEEKLY or MONTHLY."})
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise ValidationError({"rrule": "Give COUNT or UNTIL: a series must end."})
    local_start = first_start.astimezone(tz).replace(tzinfo=None)
    try:
        parsed = dateutil_rrule.rrulestr(_local_until(text, tz), dtstart=local_start)
    except (ValueError, TypeError) as exc:
        raise ValidationError({"rrule": f"Not a valid RRULE: {exc}"}) from exc
    cap = settings.RESERVATION_SERIES_MAX_OCCURRENCES
    starts = []
    for naive in parsed:
        if len(starts) == cap:
            raise ValidationError({"rrule": f"A series may have at most {cap} occurrences."})
        starts.append(naive.replace(tzinfo=tz))
    if not starts:
        raise ValidationError({"rrule": "This rule gives no occurrence."})
    return starts


DAY_NAMES = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat", "SU": "Sun"}
_UNITS = {"DAILY": ("days", "Daily"), "WEEKLY": ("weeks", "Weekly"), "MONTHLY": ("months", "Monthly")}


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe(rule: str) -> str:
    """A series' rule as people say it: "Weekly on Mon and Wed, 4 times", "Every 2 days, until
    2027-01-31". The rule text itself is left to the API and the iCal feed."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts = {k.upper(): v for k, _, v in (p.partition("=") for p in text.split(";")) if v}
    frequency = parts.get("FREQ", "").upper()
    if frequency not in _UNITS:
        return rule
    many, adverb = _UNITS[frequency]
    interval = int(parts["INTERVAL"]) if parts.get("INTERVAL", "").isdigit() else 1
    said = adverb if interval == 1 else f"Every {interval} {many}"
    days = [DAY_NAMES.get(day.strip().upper()[-2:], day) for day in parts.get("BYDAY", "").split(",") if day.strip()]
    if days:
        said += " on " + _joined(days)
    if parts.get("COUNT", "").isdigit():
        count = int(parts["COUNT"])
        said += ", once" if count == 1 else f", {count} times"
    elif parts.get("UNTIL"):
        until = parts["UNTIL"][:8]
        said += f", until {until[:4]}-{until[4:6]}-{until[6:8]}" if until.isdigit() else f", until {parts['UNTIL']}"
    return said
