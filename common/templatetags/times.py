"""{% load times %}: the template side of common.times. Pass the viewer: {{ booking|when:user }}."""

from django import template

from common import times

register = template.Library()


@register.filter
def when(booking, user=None) -> str:
    """A booking's times in its site's zone, and the viewer's when it reads differently."""
    return times.booking_span(booking, times.user_zone(user)) if booking else ""


@register.filter
def instant(moment, user=None) -> str:
    """To the second, in the viewer's zone, named: for records such as the audit log."""
    return times.stamp(moment, times.user_zone(user), seconds=True) if moment else ""


@register.filter
def site_time(moment, site) -> str:
    return times.at(moment, times.site_zone(site)) if moment else ""


@register.filter
def stamp(moment, user=None) -> str:
    """When something happened, in the viewer's zone (the server's until they chose one), named."""
    return times.stamp(moment, times.user_zone(user)) if moment else ""
