"""The API's side of the one error map (common.errors): {"detail": str, "code": str, "errors": {field: [str]}}."""

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import invalid, refusal_for
from common.events import record_refusal

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def _record_refused_write(exc, status: int | None, context) -> None:
    request = context.get("request")
    refused = isinstance(exc, exceptions.PermissionDenied) or status == 403
    if refused and request is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
        record_refusal(request, str(getattr(exc, "message", None) or getattr(exc, "detail", exc)))


def exception_handler(exc, context):
    if isinstance(exc, exceptions.ValidationError):
        refusal = invalid(exc.detail if isinstance(exc.detail, dict) else {NON_FIELD: exc.detail})
    else:
        refusal = refusal_for(exc)
    _record_refused_write(exc, refusal.status if refusal else None, context)
    if refusal is not None:
        return Response(refusal.body(), status=refusal.status)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail") if isinstance(response.data, dict) else response.data
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"detail": str(detail), "code": code, "errors": {}}
    return response
