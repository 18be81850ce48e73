"""When could I get N matching machines? GET /api/leases/availability/ at scale: 1,000 resources
(5 sites of 200, half of them with 80 GB GPUs) and 1,000,000 bookings.

    .venv/bin/python -m bench.lease_availability [--bookings 1000000] [--seconds 15]

Fills a throw-away database with SQL, then serves it with gunicorn as the image runs it (DEBUG=0,
gunicorn.conf.py, 3 workers) and measures: queries per request (in process), one client's latency
(p50/p95 of sequential requests) and wrk's throughput with 8 connections over rotating windows.
Anchors from the same run: wrk on /healthz (the web stack's floor) and pgbench -S (the database's).
"""

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import time
from datetime import timedelta
from urllib.parse import urlencode

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir_leases")
# This driver fills the database and counts queries; the server it measures runs DEBUG=0.
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

import requests  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts import services as accounts  # noqa: E402
from bench.support import fill_bookings, finish, healthz_anchor, percentile, start_gunicorn, wrk  # noqa: E402
from common.db.database import database_url  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Membership, Role, Site  # noqa: E402


def pgbench_select_only(url: str) -> str:
    """pgbench's own tables in the bench database, then its select-only run: the database's floor."""
    subprocess.run(["pgbench", "-i", "-s", "5", "-q", url], capture_output=True, check=True)
    run = subprocess.run(["pgbench", "-S", "-n", "-T", "10", "-c", "8", "-j", "2", url], capture_output=True, text=True)
    tps = next((line for line in run.stdout.splitlines() if line.startswith("tps")), run.stderr.strip()[:200])
    latency = next((line for line in run.stdout.splitlines() if line.startswith("latency average")), "")
    return f"pgbench -S, 8 clients, 10 s: {tps}; {latency}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    per_site, sites_count = 200, 5
    per_resource = args.bookings // (per_site * sites_count)

    config = setup_databases(verbosity=0, interactive=False)
    server = None
    try:
        kind = ResourceType.objects.create(name="GPU server", color="#f28e2b")
        sites = [Site.objects.create(name=f"Site {i}", slug=f"site-{i}") for i in range(sites_count)]
        for site in sites:
            Resource.objects.bulk_create(
                Resource(
                    site=site,
                    resource_type=kind,
                    name=f"{site.slug}-node{n:03d}",
                    attributes={"gpu_model": "A100" if n % 4 else "H100", "gpu_memory_gb": 80 if n % 2 else 40},
                )
                for n in range(per_site)
            )
        owner = get_user_model().objects.create_user("bench", "bench@example.org")
        Membership.objects.create(site=sites[0], user=owner, role=Role.MEMBER)
        total, filled = fill_bookings(owner, per_resource, stagger=True)
        print(f"{total:,} bookings over {per_site * sites_count} resources, filled in {filled:.0f} s")

        rng = random.Random(16)
        today = timezone.now().replace(minute=0, second=0, microsecond=0)

        def query(where: str) -> str:
            start = today + timedelta(days=rng.randrange(1, 60), hours=rng.randrange(24))
            params = {
                "site": sites[0].pk,
                "resource_type": kind.pk,
                "count": 4,
                "duration": "08:00:00",
                "window_start": start.isoformat(),
                "window_end": (start + timedelta(days=7)).isoformat(),
                "where": where,
                "limit": 3,
            }
            return "/api/leases/availability/?" + urlencode(params)

        where = "gpu_memory_gb >= 80"
        client = APIClient()
        client.force_authenticate(owner)
        counts = set()
        for _ in range(20):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(query(where))
            assert response.status_code == 200 and response.json()["windows"], response.content
            counts.add(len(queries.captured_queries))
        connection.close()

        _, token = accounts.api_token_create(actor=owner, user=owner, name="bench")
        auth = f"Authorization: Bearer {token}"
        server, base = start_gunicorn(3, production=True)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for label, filter_text in (("4 of the 100 with >= 80 GB", where), ("4 of all 200", "")):
            latencies = []
            for _ in range(args.requests):
                t = time.perf_counter()
                answer = session.get(base + query(filter_text), timeout=10)
                latencies.append((time.perf_counter() - t) * 1000)
                assert answer.status_code == 200, answer.text
            print(
                f"availability, {label}, 8 h in a 7-day window, first 3 windows: queries {sorted(counts)}, "
                f"one client p50 {statistics.median(latencies):.1f} ms p95 {percentile(latencies, 0.95):.1f} ms"
            )
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            paths = ", ".join(f'"{query(where)}"' for _ in range(500))
            script.write(
                f"paths = {{{paths}}}\ni = 0\nrequest = function()\n  i = i % #paths + 1\n"
                '  return wrk.format("GET", paths[i])\nend\n'
            )
        rps, p50, p99, bad = wrk(base + "/", seconds=args.seconds, script=script.name, headers=[auth])
        print(
            f"wrk, 8 connections, availability (>= 80 GB): {rps:.0f} req/s, "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, non-2xx {bad}"
        )
        print(healthz_anchor(base, connections=8, seconds=args.seconds))
        print(f"anchor: {pgbench_select_only(database_url())}")
    finally:
        finish(server, config)


if __name__ == "__main__":
    main()
