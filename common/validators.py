"""Validators more than one app uses."""

import zoneinfo

from django.core.exceptions import ValidationError


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not an IANA time zone (for example Europe/Berlin or UTC).",
            code="invalid_time_zone",
            params={"value": value},
        )
