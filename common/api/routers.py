"""API routes whose object ids are integers a bigint primary key can hold: anything else in an id
position (letters, `null,null`, 2**70) is a 404 from the URL resolver, before any view runs."""

from django.urls import register_converter
from rest_framework.routers import SimpleRouter

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError("not a bigint id")  # the resolver treats it as no match
        return number

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")


class Router(SimpleRouter):
    def __init__(self):
        super().__init__(use_regex_path=False)

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        return f"<id:{lookup_prefix}{kwarg}>"
