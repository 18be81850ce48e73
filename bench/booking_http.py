"""Booking through the HTTP API under contention: 16 concurrent clients against gunicorn and
PostgreSQL on this machine, then a SQL check that no two confirmed bookings overlap.

    DEBUG=1 .venv/bin/python -m bench.booking_http [--clients 16] [--seconds 20] [--workers 4]

(DEBUG=1 is for this driver; the gunicorn it measures runs DEBUG=0, as the image.)

Runs on a throw-away test database. Each client books random 1-3 hour slots in the next 30 days
on 8 GPUs of 2 servers and on the servers themselves, so many requests collide (409) and the
tree rule (server vs its GPUs) is exercised as well as the per-resource constraint.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Its own throw-away database, so that a bench and the test suite can run side by side.
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir")

import django

django.setup()

import requests  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services as account_services  # noqa: E402
from bench.support import percentile, start_gunicorn  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Membership, Role, Site  # noqa: E402

OVERLAPS = """
SELECT count(*) FROM reservations_reservation a
JOIN reservations_reservation b ON a.id < b.id AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
JOIN resources_resource ra ON ra.id = a.resource_id
JOIN resources_resource rb ON rb.id = b.resource_id
WHERE a.status = 'confirmed' AND b.status = 'confirmed'
  AND (a.resource_id = b.resource_id OR ra.parent_id = rb.id OR rb.parent_id = ra.id)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    config = setup_databases(verbosity=0, interactive=False)
    server = None
    try:
        site = Site.objects.create(name="Bench", slug="bench", time_zone="Europe/Berlin")
        server_type = ResourceType.objects.create(name="GPU server", color="#e15759")
        gpu_type = ResourceType.objects.create(name="GPU", color="#f28e2b")
        resources = []
        for s in range(2):
            parent = Resource.objects.create(site=site, resource_type=server_type, name=f"srv-{s}")
            resources.append(parent)
            resources += [
                Resource.objects.create(site=site, resource_type=gpu_type, name=f"srv-{s}-gpu{g}", parent=parent)
                for g in range(4)
            ]
        tokens = []
        User = get_user_model()
        for i in range(args.clients):
            user = User.objects.create_user(f"client{i}", f"c{i}@example.org")
            Membership.objects.create(site=site, user=user, role=Role.MEMBER)
            tokens.append(account_services.api_token_create(actor=user, user=user, name="bench")[1])
        connection.close()

        server, base = start_gunicorn(args.workers, production=True)

        now = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def client(token: str, seed: int) -> None:
            rng = random.Random(seed)
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            while time.monotonic() < stop_at:
                resource = rng.choice(resources)
                start = now + timedelta(hours=rng.randrange(0, 30 * 24))
                body = {
                    "resource": resource.pk,
                    "start": start.isoformat(),
                    "end": (start + timedelta(hours=rng.randint(1, 3))).isoformat(),
                }
                t0 = time.perf_counter()
                response = session.post(f"{base}/api/reservations/", json=body, timeout=30)
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(t, i)) for i, t in enumerate(tokens)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started

        latencies.sort()
        p95, p99 = percentile(latencies, 0.95), percentile(latencies, 0.99)
        with connection.cursor() as cursor:
            cursor.execute(OVERLAPS)
            overlaps = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM reservations_reservation WHERE status = 'confirmed'")
            confirmed = cursor.fetchone()[0]
        print(
            f"{args.clients} clients, {args.workers} gunicorn workers, {wall:.1f} s: "
            f"{len(latencies) / wall:.1f} req/s, p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {p95:.1f} ms, p99 {p99:.1f} ms"
        )
        print(
            f"responses: {dict(sorted(statuses.items()))}; confirmed bookings: {confirmed}; overlaps found: {overlaps}"
        )
        if overlaps or any(code >= 500 for code in statuses):
            sys.exit(1)
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        connection.close()
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
