"""Lost-update protection (RFC 9110 conditional requests), as NetBox does it: every object GET
carries an `ETag` (a hash of the representation the caller sees); a PUT, PATCH or DELETE sent with
`If-Match` is checked under the object's row lock, in the transaction of the change, and a stale
one answers 412 with the current representation and its ETag. Without If-Match nothing changes."""

import hashlib
import json

from django.db import transaction

from common.exceptions import PreconditionFailed

GUARDED = ("PUT", "PATCH", "DELETE")


def etag_for(data) -> str:
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def _matches(header: str, tag: str) -> bool:
    offered = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in offered or tag in offered


class ConditionalObjectMixin:
    """For viewsets: ETag on object reads and writes, If-Match on PUT/PATCH/DELETE."""

    def _is_object_request(self) -> bool:
        return (self.lookup_url_kwarg or self.lookup_field) in self.kwargs

    def _representation(self, obj) -> dict:
        serializer_class = self.serializer_class or self.get_serializer_class()
        return serializer_class(obj, context=self.get_serializer_context()).data

    def dispatch(self, request, *args, **kwargs):
        if request.method in GUARDED and request.headers.get("If-Match"):
            with transaction.atomic():  # the check and the change see the same row, locked
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def filter_queryset(self, queryset):
        # A list's filters and ordering mean nothing for one object (and cost a FilterSet per read).
        if self._is_object_request():
            return queryset.order_by()
        return super().filter_queryset(queryset)

    def get_object(self):
        obj = super().get_object()
        expected = self.request.headers.get("If-Match")
        if self.request.method in GUARDED and expected:
            type(obj).objects.select_for_update().filter(pk=obj.pk).exists()
            obj = super().get_object()  # as it is now that it is locked
            current = self._representation(obj)
            tag = etag_for(current)
            if not _matches(expected, tag):
                raise PreconditionFailed(
                    "It changed since you read it: `current` is how it is now; send its ETag to change it.",
                    details={"current": current, "etag": tag},
                )
        return obj

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if response.status_code == 412 and isinstance(data, dict) and "etag" in data:
            response["ETag"] = data["etag"]
        elif (
            response.status_code == 200
            and isinstance(data, dict)
            and self._is_object_request()
            and (
                getattr(self, "action", None) == "retrieve"
                # a write answered with the representation a read gives (not a write-only shape)
                or (
                    self.action in ("update", "partial_update") and self.get_serializer_class() is self.serializer_class
                )
            )
        ):
            response["ETag"] = etag_for(data)
        return response
