"""Who is asking and from where, for the audit log, without passing the request everywhere."""

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.signals import request_finished

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""
    # Per-request memo (e.g. the user's site roles, asked for by several selectors of one page).
    memo: dict = field(default_factory=dict, compare=False)


_NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def current() -> RequestContext:
    return _current.get() or _NO_REQUEST


def request_memo() -> dict | None:
    """A dict that lives as long as the current request, or None outside requests."""
    context = _current.get()
    return context.memo if context is not None else None


def client_ip(request) -> str | None:
    proxies = getattr(settings, "TRUSTED_PROXIES", 0)
    if proxies:
        chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(chain) >= proxies:
            return chain[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives every request an id (kept from X-Request-ID when well-formed), returns it in the
    response header and makes it, the client IP and the user agent available to services."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        context = RequestContext(
            request_id=request_id,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context.memo["user_id"] = user.pk
        _current.set(context)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _forget(**kwargs) -> None:
    # Cleared when the response is closed, not when the middleware returns: Django logs error
    # responses ("Not Found: /x") after the middleware chain, and those lines need the request id.
    _current.set(None)


request_finished.connect(_forget, dispatch_uid="request_context_forget")
