"""The calendar at scale: 1,000,000 bookings over 1,000 resources (5 sites of 200).

    .venv/bin/python -m bench.calendar_scale [--bookings 1000000] [--requests 100]

The in-process part runs this process on the production settings (DEBUG=0; queries are counted by
CaptureQueriesContext all the same); the week view is also measured over HTTP against gunicorn as
the image runs it.

Fills a throw-away test database with SQL (generate_series), runs ANALYZE, then measures, in
process: the week view's data (the API call the calendar page makes for a site of 200 resources:
queries, SQL time, whole request), the availability endpoint of one resource and the first-free
search across a site's 200 resources.
"""

import argparse
import contextlib
import os
import random
import statistics
import threading
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Its own throw-away database, so that a bench and the test suite can run side by side (and a kept
# fill survives the other benches).
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir_calendar")

from bench.production_env import use_production_settings

use_production_settings()

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts import services as accounts  # noqa: E402
from bench.support import fill_bookings, healthz_anchor, start_gunicorn, wrk_p95  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Membership, Role, Site  # noqa: E402


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * p) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--keep", action="store_true", help="keep the filled database for the next run (and for EXPLAIN)"
    )
    args = parser.parse_args()
    resources_per_site, sites_count = 200, 5
    per_resource = args.bookings // (resources_per_site * sites_count)

    config = setup_databases(verbosity=0, interactive=False, keepdb=args.keep)
    try:
        kind, sites, owner = _scene(resources_per_site, sites_count, per_resource)

        client = APIClient()
        client.force_authenticate(owner)
        site = sites[0]
        week_start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)

        def week_url(offset_days: int) -> str:
            start = week_start + timedelta(days=offset_days)
            end = start + timedelta(days=7)
            return (
                f"/api/reservations/?site={site.pk}&status=confirmed&page_size=1000"
                f"&start={start.isoformat()}&end={end.isoformat()}".replace("+", "%2B")
            )

        rng = random.Random(1)
        request_ms, sql_ms, query_counts, rows = [], [], set(), []
        client.get(week_url(0))
        for _ in range(args.requests):
            url = week_url(rng.randrange(-60, 60))
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                response = client.get(url)
                request_ms.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
            rows.append(response.json()["count"])
            query_counts.add(len(queries.captured_queries))
            sql_ms.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        print(
            f"week view, site of {resources_per_site} resources ({min(rows)}-{max(rows)} bookings a week): "
            f"queries per request {sorted(query_counts)}, SQL p50 {statistics.median(sql_ms):.1f} ms "
            f"p95 {percentile(sql_ms, 0.95):.1f} ms, whole request p50 {statistics.median(request_ms):.1f} ms "
            f"p95 {percentile(request_ms, 0.95):.1f} ms"
        )

        _, token = accounts.api_token_create(actor=owner, user=owner, name="bench")
        connection.close()
        for line in _over_http(token, week_url, rng, args.requests):
            print(line)

        resources = list(Resource.objects.filter(site=site).values_list("pk", flat=True))
        availability_ms = []
        for _ in range(args.requests):
            start = week_start + timedelta(days=rng.randrange(-60, 60))
            url = (
                f"/api/resources/{rng.choice(resources)}/availability/?start={start.isoformat()}"
                f"&end={(start + timedelta(days=7)).isoformat()}".replace("+", "%2B")
            )
            t = time.perf_counter()
            response = client.get(url)
            availability_ms.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, response.content
        print(
            f"availability of one resource over a week: p50 {statistics.median(availability_ms):.1f} ms "
            f"p95 {percentile(availability_ms, 0.95):.1f} ms"
        )

        first_free_ms, first_free_queries = [], set()
        for _ in range(args.requests):
            after = week_start + timedelta(days=rng.randrange(1, 60), hours=rng.randrange(24))
            url = (
                f"/api/availability/first-free/?site={site.pk}&type={kind.pk}&duration=08:00:00"
                f"&after={after.isoformat()}&before={(after + timedelta(days=14)).isoformat()}".replace("+", "%2B")
            )
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                response = client.get(url)
                first_free_ms.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200 and response.json()["found"], response.content
            first_free_queries.add(len(queries.captured_queries))
        print(
            f"first free 8 h slot among {resources_per_site} resources over 14 days: "
            f"queries per request {sorted(first_free_queries)}, p50 {statistics.median(first_free_ms):.1f} ms "
            f"p95 {percentile(first_free_ms, 0.95):.1f} ms"
        )
    finally:
        connection.close()
        if not args.keep:
            teardown_databases(config, verbosity=0)


def _over_http(token: str, week_url, rng, requests_count: int) -> list[str]:
    """One client over random weeks (mostly first reads), then wrk on one week: with kept pages
    (common.api.row_cache), with one of the week's bookings changed ten times a second meanwhile,
    and with no page kept (ROW_LIST_CACHE_BYTES=0: every read made). Anchor: /healthz, same server."""
    headers = [f"Authorization: Bearer {token}"]
    lines = []
    server, base = start_gunicorn(production=True)
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        session.get(base + week_url(0), timeout=30)
        http_ms, sizes = [], []
        for _ in range(requests_count):
            t = time.perf_counter()
            answer = session.get(base + week_url(rng.randrange(-60, 60)), timeout=30)
            http_ms.append((time.perf_counter() - t) * 1000)
            assert answer.status_code == 200, answer.text[:300]
            sizes.append(len(answer.content))
        lines.append(
            f"week view over HTTP, DEBUG=0 gunicorn 3x sync, one client, random weeks: p50 "
            f"{statistics.median(http_ms):.1f} ms p95 {percentile(http_ms, 0.95):.1f} ms "
            f"({statistics.median(sizes) / 1024:.0f} KiB a week)"
        )
        lines.append("under wrk, 4 connections, one week, 15 s: " + _loaded(base + week_url(3), headers))
        with _changing(week_url(3)) as changes:
            loaded = _loaded(base + week_url(3), headers)
        lines.append(f"  the same while one of its bookings changes 10 times a second ({changes[0]} changes): {loaded}")
        lines.append("  " + healthz_anchor(base, connections=4))
    finally:
        server.terminate()
        server.wait(10)
    os.environ["ROW_LIST_CACHE_BYTES"] = "0"
    server, base = start_gunicorn(production=True)
    try:
        lines.append("  the same with no page kept (ROW_LIST_CACHE_BYTES=0): " + _loaded(base + week_url(3), headers))
        lines.append("  " + healthz_anchor(base, connections=4))
    finally:
        del os.environ["ROW_LIST_CACHE_BYTES"]
        server.terminate()
        server.wait(10)
    return lines


def _loaded(url: str, headers) -> str:
    rps, p50, p95, p99, bad = wrk_p95(url, seconds=15, connections=4, headers=headers)
    return f"{rps:.1f} req/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, non-2xx {bad}"


@contextlib.contextmanager
def _changing(url: str):
    """A thread renaming one booking of the week shown at `url` every 0.1 s; yields [changes made]."""
    from reservations.models import Reservation

    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username="bench"))
    pk = client.get(url).json()["results"][0]["id"]
    connection.close()
    stop, made = threading.Event(), [0]

    def change():
        while not stop.wait(0.1):
            made[0] += 1
            Reservation.objects.filter(pk=pk).update(title=f"job, changed {made[0]} times")
        connection.close()

    thread = threading.Thread(target=change)
    thread.start()
    try:
        yield made
    finally:
        stop.set()
        thread.join()


def _scene(resources_per_site: int, sites_count: int, per_resource: int):
    """The sites, their GPUs and a member's bookings; a kept database from an earlier run is reused."""
    owner = get_user_model().objects.filter(username="bench").first()
    if owner is not None:
        print("the kept database of an earlier run, not filled again")
        return ResourceType.objects.get(name="GPU"), list(Site.objects.order_by("slug")), owner
    kind = ResourceType.objects.create(name="GPU", color="#f28e2b")
    sites = [Site.objects.create(name=f"Site {i}", slug=f"site-{i}") for i in range(sites_count)]
    for site in sites:
        Resource.objects.bulk_create(
            Resource(site=site, resource_type=kind, name=f"{site.slug}-node{n:03d}") for n in range(resources_per_site)
        )
    owner = get_user_model().objects.create_user("bench", "bench@example.org")
    Membership.objects.create(site=sites[0], user=owner, role=Role.MEMBER)
    total, filled = fill_bookings(owner, per_resource, stagger=False)
    print(f"{total:,} bookings over {sites_count * resources_per_site} resources, filled in {filled:.0f} s")
    return kind, sites, owner


if __name__ == "__main__":
    main()
