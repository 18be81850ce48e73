"""One error shape for the whole API: {"detail": str, "code": str, "errors": {field: [str]}}."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from audit.services import record_refusal
from common.exceptions import DomainError

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def _django_errors(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: exc.messages}


def _first_message(errors) -> str | None:
    if isinstance(errors, dict):
        for value in errors.values():
            found = _first_message(value)
            if found:
                return found
    elif isinstance(errors, list):
        for value in errors:
            found = _first_message(value)
            if found:
                return found
    elif errors:
        return str(errors)
    return None


def _invalid(errors: dict) -> Response:
    message = _first_message(errors) or "Invalid input."
    return Response(
        {"detail": f"Invalid input: {message}", "code": "invalid", "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _record_refused_write(exc, context) -> None:
    request = context.get("request")
    refused = isinstance(exc, exceptions.PermissionDenied) or (isinstance(exc, DomainError) and exc.status_code == 403)
    if refused and request is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
        record_refusal(request, str(getattr(exc, "message", None) or getattr(exc, "detail", exc)))


def exception_handler(exc, context):
    _record_refused_write(exc, context)
    if isinstance(exc, DjangoValidationError):
        return _invalid(_django_errors(exc))

    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code, "errors": {}}
        body.update(exc.details)
        return Response(body, status=exc.status_code)

    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {NON_FIELD: exc.detail}
        return _invalid(errors)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail") if isinstance(response.data, dict) else response.data
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"detail": str(detail), "code": code, "errors": {}}
    return response
