from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.errors import bare_response, outage_for, outage_response, refusal_for, safe_next, uri_too_long
from common.events import record_refusal
from common.web import views


class URLLengthMiddleware:
    """gunicorn reads request lines of up to 1 MB (gunicorn.conf.py), so that Reservoir, not the
    server, refuses an address that is too long: a 414 in the one error shape, before any database
    work, past settings.MAX_URL_LENGTH."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = len(request.get_full_path())
        if length > settings.MAX_URL_LENGTH:
            return bare_response(request, uri_too_long(length, settings.MAX_URL_LENGTH), "Address too long")
        return self.get_response(request)


class ProductNotFoundMiddleware:
    """With DEBUG on (the demo, development), a page that is not found is still the product's own
    404 page, not Django's technical one, which lists every URL pattern and is 980 px wide on a
    phone. TECHNICAL_ERROR_PAGES=1 brings Django's back for debugging."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and not settings.TECHNICAL_ERROR_PAGES
            and response.status_code == 404
            and not request.path.startswith("/api/")
            and b"DEBUG = True" in getattr(response, "content", b"")
        ):
            return render(request, "404.html", status=404)
        return response


class HealthCheckMiddleware:
    """Answers the probes before host validation and HTTPS redirects: load balancers and
    Kubernetes call them by pod IP over plain HTTP, which ALLOWED_HOSTS rightly refuses elsewhere."""

    probes = {"/healthz": views.healthz, "/readyz": views.readyz}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.probes.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)


class RefusalMiddleware:
    """The pages' and the admin's side of the one error map (common.errors): a refused write goes
    back to the page it came from with the service's message; anything else gets an error page
    with the refusal's 4xx status. Refused writes for lack of rights land in the audit log."""

    safe_methods = {"GET", "HEAD", "OPTIONS"}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        outage = outage_for(exception)
        if outage is not None:
            return outage_response(request, outage)
        refusal = refusal_for(exception)
        if refusal is None:
            return None
        write = request.method not in self.safe_methods
        if write and refusal.status == 403:
            record_refusal(request, refusal.message)
        if write and refusal.status != 403:
            back = safe_next(request, request.POST.get("next"), request.headers.get("referer"))
            if back:
                messages.error(request, refusal.message)
                return redirect(back)
        headings = {403: "Not allowed", 404: "Not found", 409: "Conflict"}
        context = {
            "status": refusal.status,
            "heading": headings.get(refusal.status, "Cannot do that"),
            "message": refusal.message,
            "back": safe_next(request, request.headers.get("referer")),
        }
        return render(request, "error.html", context, status=refusal.status)


class PermissionsPolicyMiddleware:
    """The Permissions-Policy header (settings.PERMISSIONS_POLICY), which Django does not set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
