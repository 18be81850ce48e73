"""One map from domain errors to what a surface shows. The API (one error shape), the pages (a
message on the page the user came from, or an error page), the admin (a message) and management
commands (a message and an exit code) all ask `refusal_for`; none interprets exceptions itself."""

import re
from dataclasses import dataclass, field

from django import db
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

from common.exceptions import DomainError

NON_FIELD = "non_field_errors"

# Exit codes of the command-line surfaces (the `reservoir` client maps HTTP statuses the same way).
EXIT_REFUSED, EXIT_CONFLICT = 2, 3
RETRY_AFTER_SECONDS = 5


# What `refusal_for` understands; `except REFUSALS` catches refusals and lets bugs through.
REFUSALS = (DomainError, ValidationError, DjangoPermissionDenied, db.IntegrityError)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    details: dict = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_CONFLICT if self.status == 409 else EXIT_REFUSED

    def body(self) -> dict:
        """The API's one error shape: {"detail", "code", "errors": {field: [...]}, ...details}."""
        return {"detail": self.message, "code": self.code, "errors": self.errors, **self.details}


def _first(errors: dict[str, list[str]]) -> str:
    for messages in errors.values():
        for message in messages:
            if message:
                return str(message)
    return "Invalid input."


def validation_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {(NON_FIELD if name == NON_FIELD_ERRORS else name): msgs for name, msgs in exc.message_dict.items()}
    return {NON_FIELD: exc.messages}


def invalid(errors: dict) -> Refusal:
    message = _first({k: v if isinstance(v, list) else [v] for k, v in errors.items()}) if errors else "Invalid input."
    return Refusal(400, "invalid", f"Invalid input: {message}", errors)


def refusal_for(exc: BaseException) -> Refusal | None:
    """The refusal an exception stands for, or None when it is not a refusal (a bug: let it raise)."""
    if isinstance(exc, DomainError):
        return Refusal(exc.status_code, exc.code, exc.message, {}, dict(exc.details))
    if isinstance(exc, ValidationError):
        return invalid(validation_errors(exc))
    if isinstance(exc, db.DataError):
        # The last line: a value no validator caught but PostgreSQL cannot hold (out of range, a NUL
        # in form-sent JSON). The statement failed, so nothing was written.
        return Refusal(400, "invalid", "Invalid input: a value is outside what can be stored.")
    if isinstance(exc, db.IntegrityError):
        return _lost_race(exc)
    if isinstance(exc, DjangoPermissionDenied):
        return Refusal(403, "permission_denied", str(exc) or "You do not have permission to perform this action.")
    return None


def _table_label(table: str) -> str:
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.db_table == table:
            return str(model._meta.verbose_name)
    return table


def _lost_race(exc: db.IntegrityError) -> Refusal:
    """The last line for a constraint the services did not turn into a Conflict: in practice a
    foreign key checked at commit after a concurrent delete. Nothing was written."""
    diag = getattr(exc.__cause__, "diag", None)
    detail = getattr(diag, "message_detail", None) or ""
    gone = re.search(r'is not present in table "([^"]+)"', detail)
    kept = re.search(r'is still referenced from table "([^"]+)"', detail)
    if gone:
        message = f"The {_table_label(gone.group(1))} this refers to was deleted meanwhile; nothing was saved."
    elif kept:
        message = f"A {_table_label(kept.group(1))} was added to it meanwhile; nothing was deleted. Try again."
    else:
        message = "This change conflicts with a concurrent one; nothing was saved. Try again."
    return Refusal(409, "conflict", message)


def outage_for(exc: BaseException) -> Refusal | None:
    """The database went away under the request (a restart, a failover, a dropped connection): a
    503 to retry, never a 500. The request's transaction did not commit, so nothing is half-written."""
    if isinstance(exc, (db.OperationalError, db.InterfaceError)):
        return Refusal(503, "unavailable", "The database is not reachable right now. Try again in a few seconds.")
    return None


def bare_response(request, refusal: Refusal, heading: str) -> HttpResponse:
    """Rendered without templates or context processors (no database): the API's one error shape,
    or a minimal page."""
    if request.path.startswith("/api/"):
        return JsonResponse(refusal.body(), status=refusal.status)
    page = f"<!doctype html><title>{heading}</title><h1>{heading}</h1><p>{escape(refusal.message)}</p>"
    return HttpResponse(page, status=refusal.status)


def outage_response(request, refusal: Refusal) -> HttpResponse:
    response = bare_response(request, refusal, "Unavailable")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def uri_too_long(length: int, limit: int) -> Refusal:
    return Refusal(
        414,
        "uri_too_long",
        f"The address is {length:,} characters long; the server reads at most {limit:,}. "
        "Ask for fewer or shorter query parameters.",
    )


def safe_next(request, *candidates: str | None) -> str | None:
    """The first candidate that stays on this site (Django's allowed-host check), or None."""
    for candidate in candidates:
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return None
