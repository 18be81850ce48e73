"""An audit entry's changes as people read them: what was set or changed, not every empty field."""

from django import template

register = template.Library()
EMPTY = (None, "", [], {})


@register.filter
def shown_changes(changes: dict) -> list[tuple[str, object, object]]:
    return [
        (field, before, after)
        for field, (before, after) in (changes or {}).items()
        if not (before in EMPTY and after in EMPTY)
    ]
