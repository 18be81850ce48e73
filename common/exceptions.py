"""Domain exceptions: services raise these, the API exception handler maps them to HTTP."""


class DomainError(Exception):
    """Base class; `code` is the machine-readable reason shown to API clients."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class Conflict(DomainError):
    """The change collides with existing data (an overlap, a name taken, an object in use)."""

    status_code = 409
    code = "conflict"


class PreconditionFailed(DomainError):
    """The object changed since the caller read it (an If-Match or a form's version no longer holds)."""

    status_code = 412
    code = "stale"


class Unprocessable(DomainError):
    """Well-formed, but not something the server can act on (an idempotency key reused for another request)."""

    status_code = 422
    code = "unprocessable"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"
