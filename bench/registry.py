"""The system resource registry at scale.

    DEBUG=1 .venv/bin/python -m bench.registry [--ports 60000] [--requests 100] [--clients 16] [--seconds 15]

1. 60,000 ports allocated in one environment: find-available-ports over 1-65535 (count 1, 100, 1000),
   through the API in process, p50/p95; find-available-ips over a /8 behind an allocated /0, and
   over a /12 around 100 scattered allocations.
2. 16 concurrent clients allocating through gunicorn (HTTP, API tokens): half ask for specific
   ports (some collide: 409), half for "next free port"; req/s, p50/p95, and a check that no value
   has two live holders.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time

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
from rest_framework.test import APIClient  # noqa: E402

from accounts import services as account_services  # noqa: E402
from accounts.models import Membership, Role  # noqa: E402
from bench.support import percentile as pct  # noqa: E402
from bench.support import start_gunicorn  # noqa: E402
from registry.models import Allocation  # noqa: E402
from resources.models import Site  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, default=60000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()

    config = setup_databases(verbosity=0, interactive=False)
    server = None
    try:
        site = Site.objects.create(name="Bench", slug="bench")
        User = get_user_model()
        admin = User.objects.create_superuser("bench", "b@example.org", "x")
        taken = random.Random(7).sample(range(1, 65536), args.ports)
        now = timezone.now()
        Allocation.objects.bulk_create(
            (
                Allocation(
                    site=site,
                    resource_type="port",
                    resource_value=str(p),
                    port_number=p,
                    environment="production",
                    resource_name="bench",
                    owner_service=f"svc{p % 50}",
                    allocated_at=now,
                )
                for p in taken
            ),
            batch_size=5000,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        client = APIClient()
        client.force_authenticate(admin)
        print(f"{args.ports:,} ports allocated in one environment")
        for count in (1, 100, 1000):
            samples = []
            for _ in range(args.requests):
                t = time.perf_counter()
                response = client.post(
                    "/api/system-resources/find-available-ports/",
                    {"start_port": 1, "end_port": 65535, "count": count, "environment": "production"},
                    format="json",
                )
                samples.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200 and len(response.json()["available_ports"]) == count
            print(
                f"find-available-ports 1-65535, count {count:>4}: p50 {statistics.median(samples):.1f} ms, "
                f"p95 {pct(samples, 0.95):.1f} ms (whole request)"
            )
        # IP search behind a /0: once 13.5 s (a walk over every address of the /8), now a gap walk.
        Allocation.objects.create(
            site=site,
            resource_type="ip_range",
            resource_value="0.0.0.0/0",
            environment="staging",
            resource_name="bench",
            owner_service="everything",
            allocated_at=now,
        )
        for start in range(0, 200, 2):  # and 100 scattered /31s around which the free ones lie
            Allocation.objects.create(
                site=site,
                resource_type="ip_range",
                resource_value=f"172.16.{start // 256}.{start % 256}/31",
                environment="production",
                resource_name="bench",
                owner_service="scattered",
                allocated_at=now,
            )
        for label, network, environment, count in (
            ("10.0.0.0/8 with 0.0.0.0/0 allocated", "10.0.0.0/8", "staging", 10),
            ("172.16.0.0/12 with 100 /31s allocated", "172.16.0.0/12", "production", 1000),
        ):
            samples = []
            for _ in range(args.requests):
                t = time.perf_counter()
                response = client.post(
                    "/api/system-resources/find-available-ips/",
                    {"network": network, "count": count, "environment": environment},
                    format="json",
                )
                samples.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200
            print(
                f"find-available-ips {label}, count {count}: p50 {statistics.median(samples):.1f} ms, "
                f"p95 {pct(samples, 0.95):.1f} ms (whole request)"
            )

        tokens = []
        for i in range(args.clients):
            user = User.objects.create_user(f"client{i}", f"c{i}@example.org")
            Membership.objects.create(site=site, user=user, role=Role.MEMBER)
            tokens.append(account_services.api_token_create(actor=user, user=user, name="bench")[1])
        connection.close()
        server, base = start_gunicorn(3)
        free_pool = sorted(set(range(1, 65536)) - set(taken))
        latencies, statuses, lock = [], {}, threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def work(token, seed):
            rng = random.Random(seed)
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            while time.monotonic() < stop_at:
                if seed % 2:
                    url, body = (
                        f"{base}/api/system-resources/allocate-next-port/",
                        {
                            "site": site.pk,
                            "start_port": 1,
                            "end_port": 65535,
                            "resource_name": "x",
                            "owner_service": f"c{seed}",
                        },
                    )
                else:
                    url, body = (
                        f"{base}/api/system-resources/",
                        {
                            "site": site.pk,
                            "resource_type": "port",
                            "resource_value": str(rng.choice(free_pool[:3000])),
                            "resource_name": "x",
                            "owner_service": f"c{seed}",
                        },
                    )
                t = time.perf_counter()
                response = session.post(url, json=body, timeout=30)
                with lock:
                    latencies.append((time.perf_counter() - t) * 1000)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        threads = [threading.Thread(target=work, args=(t, i)) for i, t in enumerate(tokens)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT resource_type, resource_value, environment FROM registry_allocation "
                "WHERE status <> 'released' GROUP BY 1, 2, 3 HAVING count(*) > 1) d"
            )
            doubles = cursor.fetchone()[0]
        print(
            f"{args.clients} clients allocating over HTTP (3 gunicorn workers): {len(latencies) / wall:.1f} req/s, "
            f"p50 {statistics.median(latencies):.1f} ms, p95 {pct(latencies, 0.95):.1f} ms; "
            f"responses {dict(sorted(statuses.items()))}; values with two live holders: {doubles}"
        )
        if doubles or any(code >= 500 for code in statuses):
            sys.exit(1)
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        connection.close()
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
