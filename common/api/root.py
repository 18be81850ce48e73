"""The browsable API's front page: every endpoint that takes no id, found from the URL patterns, so
a new endpoint is listed without anyone remembering to add it."""

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


def _names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.converters:
            yield namespace + pattern.name


class ApiRoot(APIView):
    """Reservoir's REST API: every collection and action that needs no id. The OpenAPI schema is at
    `schema`, interactive documentation at `swagger-ui`."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request, format=None):
        endpoints = {}
        for name in sorted(set(_names(get_resolver().url_patterns))):
            if not name.startswith("api:") or name == "api:root" or name.endswith("-format"):
                continue
            try:
                endpoints[name.removeprefix("api:")] = request.build_absolute_uri(reverse(name))
            except NoReverseMatch:
                continue
        return Response(endpoints)
