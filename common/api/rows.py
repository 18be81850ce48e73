"""Many rows of one serializer straight from `QuerySet.values()`: no model instances, no DRF
per-field calls. Each readable field becomes an ORM path and a converter, prepared once per
request; what a method field computes is given as an annotation of the same name. A week of
2,000 bookings costs one query and a loop. The output is the serializer's own (tests compare)."""

from django.utils import timezone
from rest_framework import ISO_8601, fields, relations, serializers
from rest_framework.settings import api_settings


def _plan_step(field, computed):
    name = field.field_name
    if name in computed:
        return name, name, None
    if isinstance(field, serializers.SerializerMethodField):
        raise ValueError(f"{name} is computed by the serializer: annotate it and name it in `computed`")
    simple = "." not in field.source and field.source != "*"
    if isinstance(field, relations.PrimaryKeyRelatedField) and simple and field.pk_field is None:
        return name, f"{field.source}_id", None
    if isinstance(field, relations.SlugRelatedField) and simple:
        return name, f"{field.source}__{field.slug_field}", None
    path = field.source.replace(".", "__")
    if type(field) is fields.CharField:
        return name, path, str
    if type(field) is fields.IntegerField:
        return name, path, int
    if isinstance(field, fields.JSONField) and not field.binary:
        return name, path, None
    if _plain_iso_datetime(field):
        return name, path, _iso_in(field.timezone if hasattr(field, "timezone") else field.default_timezone())
    return name, path, field.to_representation


def _plain_iso_datetime(field) -> bool:
    """A DateTimeField rendering ISO 8601 in one zone, as DRF's own does (its zone looked up once
    per request here, not once per value)."""
    return (
        isinstance(field, fields.DateTimeField)
        and type(field).to_representation is fields.DateTimeField.to_representation
        and type(field).enforce_timezone is fields.DateTimeField.enforce_timezone
        and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
    )


def _iso_in(zone):
    def render(value):
        if not value or isinstance(value, str):
            return value or None
        if zone is not None and timezone.is_aware(value):
            value = value.astimezone(zone)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


def value_plan(serializer, *, computed=()) -> list[tuple[str, str, object]]:
    """[(output name, ORM path for values(), converter or None)] for the serializer's readable fields."""
    return [_plan_step(field, set(computed)) for field in serializer._readable_fields]


def value_paths(plan) -> list[str]:
    return [path for _, path, _ in plan]


def rows_from(values, plan) -> list[dict]:
    rows = []
    for found in values:
        row = {}
        for name, path, convert in plan:
            value = found[path]
            row[name] = value if value is None or convert is None else convert(value)
        rows.append(row)
    return rows
