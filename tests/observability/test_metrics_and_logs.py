import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

from registry import services as registry
from tests.factories import ResourceFactory, ResourceTypeFactory

pytestmark = pytest.mark.django_db


def test_metrics_need_a_token_or_an_allowed_network(client, settings):
    settings.METRICS_TOKEN = None
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token", HTTP_HOST="10.1.2.3:8000")
    assert ok.status_code == 200  # by pod IP, before host checks


def test_metrics_report_the_domain(client, member_api, member, site_a):
    gpu = ResourceFactory(site=site_a, resource_type=ResourceTypeFactory(name="GPU"), name="gpu0")
    start = "2031-01-06T09:00:00+00:00"
    body = {"resource": gpu.pk, "start": start, "end": "2031-01-06T10:00:00+00:00"}
    assert member_api.post("/api/reservations/", body, format="json").status_code == 201
    assert member_api.post("/api/reservations/", body, format="json").status_code == 409
    registry.allocate(
        actor=member, site=site_a, resource_type="port", resource_value="8000", resource_name="x", owner_service="web"
    )
    text = client.get("/metrics").content.decode()
    assert 'reservoir_bookings{status="confirmed"} 1.0' in text
    assert "reservoir_booking_conflicts_refused_total" in text
    assert 'reservoir_registry_allocations{status="active",type="port"} 1.0' in text
    assert "reservoir_outbox_pending 0.0" in text
    assert 'reservoir_http_requests_total{method="POST",status="409",view="api:reservation-list"}' in text


def test_log_lines_are_json_with_request_and_user_ids(api_for, member):
    from accounts.services import api_token_create

    _, token = api_token_create(actor=member, user=member, name="logs")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    from pythonjsonlogger.json import JsonFormatter

    from observability.logging import RequestContextFilter

    handler.setFormatter(JsonFormatter("%(message)s %(request_id)s %(user_id)s"))
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = api_for().get(
            "/api/resources/999999/", HTTP_X_REQUEST_ID="trace-7", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == "trace-7" and line["user_id"] == member.pk
    assert "Not Found" in line["message"]


def test_production_logs_are_json():
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")},
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/reservoir"),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    code = "import logging, django; django.setup(); logging.getLogger('reservoir').warning('hello')"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello" and line["level"] == "WARNING" and "request_id" in line


def test_workers_start_with_the_images_metrics_directory_missing(tmp_path):
    """The image sets PROMETHEUS_MULTIPROC_DIR for every process, but only the web command creates it."""
    code = (
        "import django; django.setup(); import reservations.services;"
        "from common.metrics import BOOKING_CONFLICTS; BOOKING_CONFLICTS.inc()"
    )
    missing = tmp_path / "not-yet" / "prometheus"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(missing), "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert any(missing.iterdir())


def test_console_lines_of_refusals_and_routine_tasks_are_quiet():
    import logging
    import sys

    from observability.logging import QuietRoutineFilter

    quiet = QuietRoutineFilter()
    try:
        raise PermissionError("not yours")
    except PermissionError:
        refused = logging.LogRecord("django.request", logging.WARNING, "", 0, "Forbidden: /x/", (), sys.exc_info())
    refused.status_code = 403
    assert quiet.filter(refused) and refused.exc_info is None  # one line, no traceback
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        crashed = logging.LogRecord("django.request", logging.ERROR, "", 0, "Server Error", (), sys.exc_info())
    crashed.status_code = 500
    assert quiet.filter(crashed) and crashed.exc_info is not None  # a 500 keeps its traceback
    beat = logging.LogRecord(
        "celery.beat", logging.INFO, "", 0, "Scheduler: Sending due task %s (%s)",
        ("booking-boundaries", "reservations.tasks.schedule_boundaries"), None,
    )  # fmt: skip
    assert not quiet.filter(beat)
    other = logging.LogRecord("celery.beat", logging.INFO, "", 0, "beat: Starting...", (), None)
    assert quiet.filter(other)
