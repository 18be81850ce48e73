from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import views


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
