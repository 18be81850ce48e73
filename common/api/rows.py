"""Many rows of one serializer straight from `QuerySet.values_list()`: no model instances, no DRF
per-field calls. Each readable field becomes an ORM path and a converter, compiled into one
function (see common.api.serializers.ModelSerializer.row_plan for when it is made); what a method
field computes is given as an annotation of the same name. A week of 2,000 bookings costs one
query and a loop. The output is the serializer's own (tests compare)."""

from datetime import UTC

from django.db.models import CharField, F, Func
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
        zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
        zone_name = "UTC" if zone is UTC else getattr(zone, "key", None)
        if zone_name:
            return name, IsoText(path, zone_name), None
        return name, path, _iso_in(zone)
    return name, path, field.to_representation


class IsoText(Func):
    """A timestamp as DRF's DateTimeField writes it, made by PostgreSQL: ISO 8601 in `zone`,
    microseconds only when there are some, `Z` for a zero offset. Turning thousands of timestamps
    into the viewer's zone and text in Python was a third of a week page."""

    output_field = CharField()

    def __init__(self, path: str, zone: str):
        super().__init__(F(path))
        self.zone = zone

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        if params:
            raise ValueError("IsoText reads a column, not an expression with parameters")
        zone = self.zone.replace("'", "''")  # a tz database name; quoted all the same
        local = f"({column} AT TIME ZONE '{zone}')"
        whole = f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        fraction = (
            f"CASE WHEN date_part('microseconds', {column})::bigint %% 1000000 = 0 THEN '' "
            f"ELSE to_char({local}, '.US') END"
        )
        if self.zone == "UTC":
            offset = "'Z'"
        else:
            seconds = f"extract(epoch FROM {local} - ({column} AT TIME ZONE 'UTC'))"
            offset = (
                f"CASE WHEN {seconds} = 0 THEN 'Z' "
                f"WHEN {seconds} < 0 THEN '-' || to_char(make_interval(secs => -{seconds}), 'HH24:MI') "
                f"ELSE '+' || to_char(make_interval(secs => {seconds}), 'HH24:MI') END"
            )
        return f"CASE WHEN {column} IS NULL THEN NULL ELSE {whole} || {fraction} || {offset} END", []


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
    # Values already in the zone are not converted: psycopg gives UTC as datetime.timezone.utc, the
    # same instants and the same text as zoneinfo's UTC.
    kept = {zone, UTC} if getattr(zone, "key", None) == "UTC" else {zone}

    def render(value):
        if isinstance(value, str):
            return value or None
        if zone is not None and value.tzinfo is not None and value.tzinfo not in kept:
            value = value.astimezone(zone)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


def value_plan(serializer, *, computed=()) -> list[tuple[str, object, object]]:
    """[(output name, ORM path or expression, converter or None)] for the serializer's readable fields."""
    return [_plan_step(field, set(computed)) for field in serializer._readable_fields]


class CompiledPlan:
    """A plan made into one function: the columns to read with `values_list()` and a renderer
    from those tuples to the serializer's dicts, its per-field steps written out as one dict
    display per row (a loop over fields per row was most of a week page's Python)."""

    def __init__(self, plan):
        # Steps whose value PostgreSQL computes (IsoText) are read as annotations.
        self.annotations = {f"row_{name}": path for name, path, _ in plan if not isinstance(path, str)}
        plan = [(name, path if isinstance(path, str) else f"row_{name}", convert) for name, path, convert in plan]
        self.paths = list(dict.fromkeys(path for _, path, _ in plan))
        column = {path: i for i, path in enumerate(self.paths)}
        names, steps = {}, []
        for k, (name, path, convert) in enumerate(plan):
            i = column[path]
            if convert is None:
                steps.append(f"{name!r}: row[{i}]")
            else:
                names[f"convert{k}"] = convert
                steps.append(f"{name!r}: None if row[{i}] is None else convert{k}(row[{i}])")
        source = "def render(rows):\n    return [{" + ", ".join(steps) + "} for row in rows]\n"
        exec(source, names)  # noqa: S102 - source made above from the serializer's field names (repr) only
        self.render = names["render"]

    def values(self, queryset):
        """The queryset's rows as this plan reads them (tuples for `render`)."""
        return queryset.annotate(**self.annotations).values_list(*self.paths)


def compile_plan(plan) -> CompiledPlan:
    return CompiledPlan(plan)
