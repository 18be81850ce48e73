"""A booking's values as people read them: parameters by their labels, a series' rule in words."""

from django import template

from reservations.recurrence import describe
from resources.parameters import describe_parameters

register = template.Library()


@register.filter
def repeats(rule: str) -> str:
    return describe(rule) if rule else ""


@register.filter
def series_repeats(series) -> str:
    """The rule in words, and how many occurrences it holds when some were skipped (taken when it
    was made): "Weekly on Mon, 4 times (3 booked, 1 skipped)"."""
    said = describe(series.rrule)
    planned = _count(series.rrule)
    if planned:
        booked = series.occurrences.count()
        if booked < planned:
            said += f" ({booked} booked, {planned - booked} skipped)"
    return said


def _count(rule: str) -> int | None:
    for part in rule.upper().removeprefix("RRULE:").split(";"):
        key, _, value = part.partition("=")
        if key.strip() == "COUNT" and value.strip().isdigit():
            return int(value)
    return None


@register.filter
def parameter_list(booking) -> list[tuple[str, str]]:
    return describe_parameters(booking.resource.resource_type.parameter_schema, booking.parameters)
