from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

# Defined with the plumbing (accounts uses it too); kept here by name for the migrations that cite it.
from common.validators import validate_time_zone  # noqa: F401

validate_color = RegexValidator(
    regex=r"^#[0-9a-fA-F]{6}$",
    message="Enter a color as #rrggbb, for example #1f77b4.",
    code="invalid_color",
)


def validate_json_object(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object of key: value.", code="invalid_object")
