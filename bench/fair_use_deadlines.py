"""Fair-use deadlines on time and once: pending bookings that expire and bookings nobody checks in,
handled by a real Celery worker process (production settings, DEBUG=0) fed by the scheduler as beat
runs it (every second), on a throw-away database. Some deadlines are already past when the worker
starts (downtime): they must be caught up at once, each still exactly once.

    DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... .venv/bin/python -m bench.fair_use_deadlines [--count 200]

Lag = the moment the decision was written (decided_at / released_at) minus the deadline.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")  # production settings: a figure measured with DEBUG=1 is not a figure
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir_deadlines")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.support import database_url  # noqa: E402
from bench.support import percentile as pct  # noqa: E402
from config.celery import app, worker_command  # noqa: E402
from reservations.models import Reservation, ReservationStatus  # noqa: E402
from reservations.policies.tasks import expire_pending, release_no_shows  # noqa: E402
from reservations.tasks import schedule_boundaries  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Site  # noqa: E402
from webhooks.models import Event  # noqa: E402


def start_worker() -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    process = subprocess.Popen(worker_command(pool="threads", concurrency=8, level="error", quiet=True), env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not app.control.ping(timeout=0.5):
        pass
    return process


def summary(name: str, lags_ms: list[float]) -> str:
    return (
        f"{name}: n={len(lags_ms)} lag p50 {statistics.median(lags_ms):.0f} ms, p99 {pct(lags_ms, 0.99):.0f} ms, "
        f"max {max(lags_ms):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200, help="deadlines of each kind within 15 s")
    parser.add_argument("--missed", type=int, default=50, help="deadlines of each kind already past (downtime)")
    args = parser.parse_args()
    app.control.purge()  # tasks an earlier, interrupted run left in the broker would skew the figures
    config = setup_databases(verbosity=0, interactive=False)
    worker = None
    try:
        site = Site.objects.create(name="Bench", slug="bench", time_zone="Europe/Berlin")
        approval = ResourceType.objects.create(name="Needs approval", requires_approval=True)
        checked = ResourceType.objects.create(name="Needs check-in", checkin_window=timedelta(minutes=15))
        owner = get_user_model().objects.create_user("bench")
        total = args.count + args.missed
        pending_nodes = [Resource(site=site, resource_type=approval, name=f"p{i}") for i in range(total)]
        checkin_nodes = [Resource(site=site, resource_type=checked, name=f"c{i}") for i in range(total)]
        Resource.objects.bulk_create(pending_nodes + checkin_nodes)
        now = timezone.now()
        base = now + timedelta(seconds=10)
        rows = []
        for i in range(total):
            # The first `missed` deadlines passed before the worker starts; the rest fall within 15 s.
            moment = now - timedelta(seconds=30 - i * 0.1) if i < args.missed else base + timedelta(milliseconds=75 * i)
            start = now + timedelta(hours=1)
            rows.append(
                Reservation(
                    resource=pending_nodes[i],
                    owner=owner,
                    start=start,
                    end=start + timedelta(hours=1),
                    status=ReservationStatus.PENDING,
                    pending_until=moment,
                )
            )
            rows.append(
                Reservation(
                    resource=checkin_nodes[i],
                    owner=owner,
                    start=moment - timedelta(minutes=15),
                    end=moment + timedelta(hours=1),
                    checkin_until=moment,
                    started_event_at=moment - timedelta(minutes=15),
                )
            )
        Reservation.objects.bulk_create(rows)
        worker = start_worker()
        last = base + timedelta(milliseconds=75 * total)
        while timezone.now() < last + timedelta(seconds=3):  # beat: these three every second
            schedule_boundaries.delay()
            expire_pending.delay()
            release_no_shows.delay()
            time.sleep(1)
        time.sleep(2)
        expired = list(
            Reservation.objects.filter(resource__resource_type=approval)
            .order_by("pk")
            .values_list("pending_until", "decided_at")
        )
        released = list(
            Reservation.objects.filter(resource__resource_type=checked)
            .order_by("pk")
            .values_list("checkin_until", "released_at")
        )
        undecided = sum(1 for _, at in expired + released if at is None)
        on_time = lambda pairs: [(at - due).total_seconds() * 1000 for due, at in pairs[args.missed :] if at]  # noqa: E731
        caught = lambda pairs: [(at - due).total_seconds() for due, at in pairs[: args.missed] if at]  # noqa: E731
        print(summary("pending expiry", on_time(expired)))
        print(summary("no-show release", on_time(released)))
        first_run = caught(expired) + caught(released)
        print(
            f"after downtime: {len(caught(expired))}/{args.missed} expiries and {len(caught(released))}/{args.missed} "
            f"releases caught up, within {max(first_run) if first_run else 0:.1f} s of the deadlines "
            f"(which were 25-30 s past when the worker started); {undecided} left undecided"
        )
        events = Event.objects.filter(type__in=["reservation.rejected", "reservation.released"]).count()
        print(f"events: {events} for {2 * total} deadlines (exactly once each)")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        connection.close()
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
