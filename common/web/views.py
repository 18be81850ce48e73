"""Liveness and readiness probes for load balancers and Kubernetes; the last-resort error view."""

import sys

from django.conf import settings
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import server_error as django_server_error

from common.errors import outage_for, outage_response
from config.celery import app as celery_app


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the reason is reported
        return f"{type(exc).__name__}: {exc}"
    return None


def _broker_ok() -> str | None:
    try:
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001 - same as above
        return f"{type(exc).__name__}: {exc}"
    return None


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ready = all(error is None for error in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: ("ok" if error is None else error) for name, error in checks.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)


def server_error(request) -> HttpResponseServerError:
    """handler500: what no view or middleware caught. A lost database (raised by a middleware
    that reads the session or the user before any view runs) is a 503 to retry, not a 500."""
    outage = outage_for(sys.exc_info()[1]) if sys.exc_info()[1] is not None else None
    if outage is not None:
        return outage_response(request, outage)
    return django_server_error(request)
