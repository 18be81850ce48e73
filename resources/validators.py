import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

validate_color = RegexValidator(
    regex=r"^#[0-9a-fA-F]{6}$",
    message="Enter a color as #rrggbb, for example #1f77b4.",
    code="invalid_color",
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not an IANA time zone (for example Europe/Berlin or UTC).",
            code="invalid_time_zone",
            params={"value": value},
        )


def validate_json_object(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object of key: value.", code="invalid_object")
