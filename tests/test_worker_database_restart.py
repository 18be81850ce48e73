"""Drill: PostgreSQL restarts while the workers deliver webhooks and fire bookings' start and end
events. Neither the worker nor beat is restarted. Afterwards every event is delivered, each once,
and every booking started and ended once."""

import os
import subprocess
import time
from collections import Counter

import psycopg
import pytest
from celery import Celery
from django.conf import settings

from config.celery import beat_command
from tests.processes import Worker, manage
from tests.receiver import Receiver

pytestmark = pytest.mark.drill

PREFIX = "reservoir-worker-drill:"  # its own queues: no other test's task reaches this database
BOOKINGS = 40

SETUP = """
from datetime import timedelta
from django.utils import timezone
from reservations import services
from tenancy.models import Membership, Role
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory
from webhooks import services as webhooks

site = SiteFactory(name="Drill", slug="drill", time_zone="UTC")
kind = ResourceTypeFactory(name="GPU server")
owner = UserFactory(username="drill")
Membership.objects.create(site=site, user=owner, role=Role.MEMBER)
webhooks.webhook_create(actor=None, site=site, name="receiver", url="%(url)s/ok")
machines = [ResourceFactory(site=site, resource_type=kind, name=f"n{i}") for i in range(8)]
first = timezone.now() + timedelta(seconds=6)
for i in range(%(count)d):
    start = first + timedelta(seconds=0.5 * i)
    services.reservation_create(
        actor=None, owner=owner, resource=machines[i %% 8], start=start, end=start + timedelta(seconds=2)
    )
"""


def test_workers_deliver_everything_once_across_a_postgresql_restart_without_a_restart(own_postgres, tmp_path):
    url, restart, _ = own_postgres
    receiver = Receiver()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_BROKER_KEY_PREFIX": PREFIX,
        "RESERVOIR_DATA_DIR": str(tmp_path / "data"),
        "DEBUG": "1",
        "NOTIFY_ENDING_SOON_MINUTES": "0",
    }
    manage(env, "migrate", "-v0")
    control = Celery("drill", broker=settings.CELERY_BROKER_URL, set_as_current=False)
    control.conf.broker_transport_options = {"global_keyprefix": PREFIX}
    worker = Worker(
        log_file=str(tmp_path / "worker.log"),
        DATABASE_URL=url,
        CELERY_BROKER_KEY_PREFIX=PREFIX,
        NOTIFY_ENDING_SOON_MINUTES="0",
        WEBHOOK_DISABLE_AFTER_FAILED_EVENTS="1000",
    ).start(answers_to=control)
    beat = subprocess.Popen(
        beat_command(schedule=str(tmp_path / "beat-schedule"), level="warning"),
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "beat.log", "w"),  # noqa: SIM115 - the child owns it
    )
    try:
        manage(env, "shell", "-c", SETUP % {"url": receiver.url, "count": BOOKINGS})
        time.sleep(10)  # deliveries and the first starts and ends are under way
        began = time.monotonic()
        restart()
        took = time.monotonic() - began
        deadline = time.monotonic() + 120
        with psycopg.connect(url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                pending = conn.execute(
                    "SELECT (SELECT count(*) FROM webhooks_delivery WHERE status <> 'succeeded')"
                    " + (SELECT count(*) FROM reservations_reservation WHERE ended_event_at IS NULL)"
                ).fetchone()[0]
                if pending == 0:
                    break
                time.sleep(1)
            caught_up = time.monotonic() - began
            time.sleep(8)  # sweeps and leases run out: anything sent twice would arrive now
            events = dict(conn.execute("SELECT id::text, type FROM webhooks_event").fetchall())
            deliveries = dict(
                Counter(row[0] for row in conn.execute("SELECT status FROM webhooks_delivery").fetchall())
            )
            unended = conn.execute(
                "SELECT count(*) FROM reservations_reservation WHERE started_event_at IS NULL OR ended_event_at IS NULL"
            ).fetchone()[0]
        worker_alive = worker.process.poll() is None and beat.poll() is None
    finally:
        worker.stop()
        beat.terminate()
        beat.wait(10)
        receiver.server.shutdown()
    received = Counter(r["headers"]["webhook-id"] for r in receiver.received())
    kinds = Counter(events.values())
    print(
        f"\nworker postgres restart drill: {len(events)} events ({dict(kinds)}); restart took {took:.2f} s; "
        f"all delivered and every booking ended {caught_up:.1f} s after it began; {len(received)} received, "
        f"{sum(received.values()) - len(received)} twice; deliveries {deliveries}"
    )
    assert worker_alive  # neither the worker nor beat needed a restart
    assert unended == 0
    assert kinds["reservation.started"] == kinds["reservation.ended"] == kinds["reservation.created"] == BOOKINGS
    assert deliveries == {"succeeded": len(events)}
    assert len(received) == len(events)
    assert max(received.values()) == 1, [k for k, n in received.items() if n > 1]
