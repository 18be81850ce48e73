"""Request bodies the API accepts: JSON of bounded size and depth (a 2 MB body or a list nested
10,000 deep is refused before it reaches a serializer), plus the browsable API's forms."""

import json

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is too large."


def _depth_and_nul(document) -> tuple[int, bool]:
    """How deep the document nests, and whether any key or text holds a NUL character (which no
    PostgreSQL text or jsonb value can store)."""
    deepest, nul, stack = 0, False, [(document, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            nul = nul or any("\x00" in key for key in node)
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
        elif isinstance(node, str):
            nul = nul or "\x00" in node
    return deepest, nul


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if declared > limit:
            raise PayloadTooLarge(f"The request body is {declared} bytes; the limit is {limit}.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is over the limit of {limit} bytes.")
        try:
            document = json.loads(raw.decode(parser_context.get("encoding", "utf-8") if parser_context else "utf-8"))
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error: {exc}"[:300]) from exc
        depth, nul = _depth_and_nul(document)
        if depth > settings.API_MAX_JSON_DEPTH:
            raise ParseError(f"JSON nested deeper than {settings.API_MAX_JSON_DEPTH} levels.")
        if nul:
            raise ParseError("Text may not contain NUL characters (\\u0000).")
        return document
