from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponseForbidden

from common.exceptions import PermissionDenied

from .services import record_refusal

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class AuditRefusalsMiddleware:
    """Records refused writes from HTML pages and the admin (the API records its own), and turns
    a service's PermissionDenied into a 403 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PermissionDenied | DjangoPermissionDenied):
            return None
        if request.method not in SAFE_METHODS:
            record_refusal(request, str(exception) or "permission denied")
        if isinstance(exception, PermissionDenied):
            return HttpResponseForbidden(exception.message)
        return None
