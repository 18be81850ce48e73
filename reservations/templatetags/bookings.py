"""A booking's values as people read them: parameters by their labels, a series' rule in words."""

from django import template

from reservations.recurrence import describe
from resources.parameters import describe_parameters

register = template.Library()


@register.filter
def repeats(rule: str) -> str:
    return describe(rule) if rule else ""


@register.filter
def parameter_list(booking) -> list[tuple[str, str]]:
    return describe_parameters(booking.resource.resource_type.parameter_schema, booking.parameters)
