"""The OpenAPI contract: every operation documents the refusals it can answer with, each in the one
error shape ({"detail", "code", "errors"}, see common.errors), so that a generated client can read them."""

from django.conf import settings
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .conditional import GUARDED, ConditionalObjectMixin
from .routers import MAX_ID

WRITES = ("POST", "PUT", "PATCH", "DELETE")
WITH_BODY = ("POST", "PUT", "PATCH")

DESCRIPTIONS = {
    400: "Invalid input: `errors` holds the messages per field.",
    401: "No credentials, or credentials that are not valid (an unknown, revoked or expired token).",
    403: "Your role or your sites do not allow this.",
    404: "No such object among those you may see (or no such page of results).",
    409: "The change collides with existing data; `detail` says with what.",
    412: "`If-Match` names a version that is no longer current: `current` holds the object as it is now, "
    "the `ETag` header its version.",
    413: "The request body is larger than the server accepts.",
    414: "The address (path and query string) is longer than the server reads "
    f"({settings.MAX_URL_LENGTH:,} characters).",
    415: "The request body is not in a media type this operation reads.",
    422: "The `Idempotency-Key` was used in the last 24 hours for another request (another path or body), "
    "or is not 1 to 255 printable characters.",
    423: "The allocation is locked against changes.",
    503: "The database is not reachable for a moment (a restart or failover); nothing was changed. "
    "`Retry-After` says when to try again.",
    429: "Too many requests (for example too many invalid tokens); `Retry-After` says when to try again.",
}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A sentence for people.")
    code = serializers.CharField(help_text="A machine-readable reason, e.g. `invalid`, `conflict`, `not_found`.")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Messages per field (a list of strings, or nested for nested input); empty when not about input.",
    )

    class Meta:
        ref_name = "Error"


class AutoSchema(SpectacularAutoSchema):
    def _error_statuses(self) -> list[int]:
        view = self.view
        public = any(permission is AllowAny for permission in getattr(view, "permission_classes", []))
        signed = public and not getattr(view, "authentication_classes", None)
        statuses = {400, 414, 429, 503}
        if not public or signed:
            statuses |= {401, 403}
        if "{" in self.path or self._is_list_view():
            statuses.add(404)
        if self.method in WRITES:
            statuses.add(409)
        if self.method in WITH_BODY:
            statuses |= {413, 415}
        if self.method in WRITES and self.path.startswith("/api/system-resources/"):
            statuses.add(423)
        if self._guarded():
            statuses.add(412)
        if self._idempotent():
            statuses.add(422)
        return sorted(statuses)

    def _idempotent(self) -> bool:
        handler = getattr(self.view, getattr(self.view, "action", None) or "", None)
        return self.method == "POST" and getattr(handler, "idempotent", False)

    def _guarded(self) -> bool:
        return self.method in GUARDED and "{" in self.path and isinstance(self.view, ConditionalObjectMixin)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._guarded():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description="The ETag of the version you read: the change is refused (412) if it changed since.",
                )
            )
        if self._idempotent():
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    description="A key you choose for this request (a UUID, say). Sent again with the same body "
                    "within 24 hours, the first answer comes back (`Idempotent-Replayed: true`) and nothing is "
                    "written again; with another body, 422.",
                )
            )
        return parameters

    def _get_paginator(self):
        # Only the viewsets' list actions paginate; a list answered by a write (cancelled
        # occurrences) or by a detail action (history) is a plain array.
        if self.method != "GET" or getattr(self.view, "action", None) != "list":
            return None
        return super()._get_paginator()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for status in self._error_statuses():
            responses.setdefault(
                str(status),
                {"content": {"application/json": {"schema": error}}, "description": DESCRIPTIONS[status]},
            )
        return responses


def bound_ids(result, generator, request, public):
    """Postprocessing hook: integer path ids are positive and fit a bigint, as the router accepts."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("type") == "integer":
                    schema.update(minimum=1, maximum=MAX_ID)
    return result
