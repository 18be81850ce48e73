"""{% load colors %}: {{ type.color|text_on }} gives a readable text colour for that background."""

from django import template

from common.web.colors import text_on as _text_on

register = template.Library()


@register.filter
def text_on(hex_color: str) -> str:
    return _text_on(hex_color or "")
