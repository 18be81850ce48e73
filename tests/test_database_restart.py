"""Drill: PostgreSQL restarts under traffic. The web process (gunicorn, production settings) is not
restarted: requests in flight fail cleanly (503 in the one error shape, Retry-After), the next
ones succeed on new connections, and every booking that was answered 201 is whole in the database
(audit entry and outbox event beside it) while no refused write left anything behind."""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings
from django.utils import timezone

from bench.support import wait_healthy
from tests.processes import free_port, manage

pytestmark = pytest.mark.drill

BASE_DIR = Path(settings.BASE_DIR)


def test_the_web_recovers_from_a_postgresql_restart_without_a_restart_of_its_own(own_postgres, tmp_path):
    url, restart, _ = own_postgres
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE",)},
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_BROKER_KEY_PREFIX": "reservoir-drill:",
        "RESERVOIR_DATA_DIR": str(tmp_path / "data"),
        "DEBUG": "1",
    }
    manage(env, "migrate", "-v0")
    manage(env, "seed_demo")
    token = manage(env, "api_token", "admin").splitlines()[-1]
    production = {
        **env,
        "DEBUG": "0",
        "SECRET_KEY": "drill-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
    }
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=BASE_DIR,
        env=production,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        with psycopg.connect(url) as conn:
            resource = conn.execute(
                "SELECT r.id FROM resources_resource r JOIN resources_site s ON s.id = r.site_id "
                "WHERE s.slug = 'berlin' AND r.status = 'active' AND NOT EXISTS "
                "(SELECT 1 FROM resources_resource c WHERE c.parent_id = r.id) AND NOT EXISTS "
                "(SELECT 1 FROM reservations_reservation b WHERE b.resource_id = r.id) ORDER BY r.id LIMIT 1"
            ).fetchone()[0]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        outcomes: list[tuple[float, int, dict]] = []
        created: list[int] = []
        stop = threading.Event()
        first = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)

        def traffic():
            n = 0
            while not stop.is_set():
                start = first + timedelta(minutes=30 * n)
                body = {
                    "resource": resource,
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=30)).isoformat(),
                }
                try:
                    response = session.post(f"{base}/api/reservations/", json=body, timeout=10)
                except requests.RequestException:
                    continue
                json_body = response.headers.get("Content-Type", "").startswith("application/json")
                outcomes.append((time.monotonic(), response.status_code, response.json() if json_body else {}))
                if response.status_code == 201:
                    created.append(response.json()["id"])
                n += 1

        traffic_began = timezone.now()
        worker = threading.Thread(target=traffic)
        worker.start()
        time.sleep(2)
        restart_began = time.monotonic()
        restart()
        restarted = time.monotonic()
        time.sleep(3)
        stop.set()
        worker.join(30)
    finally:
        web.terminate()
        web.wait(10)

    statuses = [status for _, status, _ in outcomes]
    refused = [body for _, status, body in outcomes if status == 503]
    after = [status for moment, status, _ in outcomes if moment > restarted + 1]
    recovered_at = next((moment for moment, status, _ in outcomes if moment > restart_began and status == 201), None)
    print(
        f"\npostgres restart drill: {len(outcomes)} writes, {statuses.count(201)} created, "
        f"{len(refused)} answered 503, "
        f"{statuses.count(500)} answered 500; restart took {restarted - restart_began:.2f} s; "
        f"first success {recovered_at - restart_began if recovered_at else float('nan'):.2f} s after it began"
    )
    assert set(statuses) <= {201, 503}, [(status, body) for _, status, body in outcomes if status not in (201, 503)]
    assert all(body["code"] == "unavailable" and body["detail"] for body in refused)
    assert after and set(after) == {201}  # recovered without restarting gunicorn
    with psycopg.connect(url) as conn:
        stored = {
            row[0]
            for row in conn.execute("SELECT id FROM reservations_reservation WHERE created >= %s", [traffic_began])
        }
        assert stored == set(created)  # every 201 is there, no 503 left a booking behind
        whole = conn.execute(
            "SELECT count(*) FROM reservations_reservation r WHERE r.id = ANY(%s) "
            "AND EXISTS (SELECT 1 FROM audit_auditentry a WHERE a.object_type = 'reservations.reservation' "
            "AND a.object_id = r.id::text AND a.action = 'reservation.created')",
            [list(created)],
        ).fetchone()[0]
        assert whole == len(created)
