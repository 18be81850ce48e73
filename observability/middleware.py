import hmac
import ipaddress
import time

from django.conf import settings
from django.http import HttpResponse

from common.metrics import HTTP_LATENCY, HTTP_REQUESTS

from .metrics import render


def metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        presented = request.headers.get("Authorization", "").encode()
        return hmac.compare_digest(presented, f"Bearer {token}".encode())  # constant time
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOWED_NETWORKS)


class MetricsMiddleware:
    """Serves /metrics (by token or from allowed networks, before host checks, like the probes)
    and counts every other request by view and status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/metrics":
            if not metrics_allowed(request):
                return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
            return HttpResponse(render(), content_type="text/plain; version=0.0.4; charset=utf-8")
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else "unmatched"
        HTTP_REQUESTS.labels(view=view, method=request.method, status=str(response.status_code)).inc()
        HTTP_LATENCY.labels(view=view).observe(time.perf_counter() - started)
        return response
