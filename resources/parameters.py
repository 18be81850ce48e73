"""Custom booking parameters: the schema a resource type declares and the values a booking gives.

A schema is a list of parameter definitions:
    {"key": "gpu_count", "label": "GPUs", "type": "number", "required": true}
    {"key": "image", "label": "OS image", "type": "choice", "choices": ["ubuntu-24.04", "rocky-9"]}
"""

import re

from django.core.exceptions import ValidationError
from django.db import models


class ParameterType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    BOOLEAN = "boolean", "Yes / no"
    CHOICE = "choice", "Choice"


KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
ALLOWED_KEYS = {"key", "label", "type", "required", "choices"}
MAX_PARAMETERS = 50


def _definition_errors(index: int, definition) -> list[str]:
    where = f"Parameter {index + 1}"
    if not isinstance(definition, dict):
        return [f"{where} must be an object with key, label and type."]
    key = definition.get("key")
    if isinstance(key, str) and key:
        where = f"{where} ({key})"
    errors = []
    unknown = sorted(set(definition) - ALLOWED_KEYS)
    if unknown:
        errors.append(f"{where}: unknown field(s) {', '.join(unknown)}; allowed are {', '.join(sorted(ALLOWED_KEYS))}.")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        errors.append(
            f"{where}: key must start with a lowercase letter and contain only lowercase letters, "
            "digits and underscores (at most 63 characters)."
        )
    label = definition.get("label")
    if not isinstance(label, str) or not label.strip():
        errors.append(f"{where}: label is required.")
    kind = definition.get("type")
    if kind not in ParameterType.values:
        errors.append(f"{where}: type must be one of {', '.join(ParameterType.values)}.")
    if "required" in definition and not isinstance(definition["required"], bool):
        errors.append(f"{where}: required must be true or false.")
    choices = definition.get("choices")
    if kind == ParameterType.CHOICE:
        if not isinstance(choices, list) or not choices:
            errors.append(f"{where}: a choice parameter needs a non-empty list of choices.")
        elif not all(isinstance(c, str) and c.strip() for c in choices):
            errors.append(f"{where}: every choice must be a non-empty string.")
        elif len(set(choices)) != len(choices):
            errors.append(f"{where}: choices must be distinct.")
    elif choices is not None:
        errors.append(f"{where}: choices are only allowed for type 'choice'.")
    return errors


def validate_parameter_schema(schema) -> None:
    if not isinstance(schema, list):
        raise ValidationError("The parameter schema must be a list of parameter definitions.")
    if len(schema) > MAX_PARAMETERS:
        raise ValidationError(f"At most {MAX_PARAMETERS} parameters are allowed.")
    errors = []
    for index, definition in enumerate(schema):
        errors.extend(_definition_errors(index, definition))
    keys = [d.get("key") for d in schema if isinstance(d, dict)]
    duplicates = sorted({k for k in keys if isinstance(k, str) and keys.count(k) > 1})
    if duplicates:
        errors.append(f"Duplicate parameter key(s): {', '.join(duplicates)}.")
    if errors:
        raise ValidationError(errors)


def _clean_value(definition: dict, value):
    kind = definition["type"]
    if kind == ParameterType.TEXT:
        if not isinstance(value, str):
            raise ValidationError("Must be text.")
        return value
    if kind == ParameterType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("Must be a number.")
        return value
    if kind == ParameterType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value
    if value not in definition["choices"]:
        raise ValidationError(f"Must be one of: {', '.join(definition['choices'])}.")
    return value


def clean_parameters(schema: list[dict], values) -> dict:
    """Check booking parameter values against a (valid) schema; returns the cleaned values."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError("Parameters must be an object of key: value.")
    by_key = {d["key"]: d for d in schema}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key in sorted(set(values) - set(by_key)):
        errors[key] = [f"Unknown parameter; expected one of: {', '.join(by_key) or 'none'}."]
    for key, definition in by_key.items():
        value = values.get(key)
        if value is None or value == "":
            if definition.get("required"):
                errors[key] = ["This parameter is required."]
            continue
        try:
            cleaned[key] = _clean_value(definition, value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def describe_parameters(schema: list[dict], values: dict) -> list[tuple[str, str]]:
    """(label, value) as people read them: "MIG slices", "no"; choices and text as given."""
    by_key = {d.get("key"): d for d in schema or []}
    shown = []
    for key, value in (values or {}).items():
        definition = by_key.get(key, {})
        if isinstance(value, bool):
            value = "yes" if value else "no"
        shown.append((definition.get("label") or key.replace("_", " ").capitalize(), str(value)))
    return shown
