"""Utilization reports and the resource explorer at scale: 1,000,000 bookings over 1,000 resources
(5 sites of 200, 50 users), a year of history, on the production settings.

    .venv/bin/python -m bench.reports [--bookings 1000000] [--requests 20] [--seconds 15]

Measures in process (this process on the production settings, DEBUG=0, one client) the report API
(all figures: per resource/type/site, heatmap, top users, idle) for one site and for all sites over
7, 30 and 90 days, the CSV export, the report page and the explorer page of a site; then over HTTP
(gunicorn as the image runs it, wrk with 16 connections, an administrator's API token) the 30-day
report of one site, with wrk on /healthz as the anchor.
"""

import argparse
import os
import statistics
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir")

from bench.production_env import collect_static, use_production_settings

use_production_settings()

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts import services as accounts  # noqa: E402
from bench.support import fill_bookings, finish, healthz_anchor, percentile, start_gunicorn, wrk_read  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Site  # noqa: E402

USERS = 50


def timed(client, url: str, requests: int) -> tuple[float, float, int]:
    client.get(url)
    samples, queries = [], 0
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            t = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.content[:300]
        queries = len(captured.captured_queries)
    return statistics.median(samples), percentile(samples, 0.95), queries


def explain(*, today, site) -> None:
    from reports import selectors

    params = {
        "start": (today - timedelta(days=29)).isoformat(),
        "end": (today + timedelta(days=1)).isoformat(),
        "all_sites": False,
        "site_ids": [site.pk],
        "type_id": None,
        "top": 10,
        "idle": [],
    }
    for name in ("PER_RESOURCE", "PER_USER", "HEAT_BOOKED", "HEAT_CAPACITY"):
        plan = selectors._query("EXPLAIN (ANALYZE, BUFFERS) " + getattr(selectors, name), params)
        print(f"--- {name}\n" + "\n".join(row[0] for row in plan))


def measure_reports(admin, requests: int) -> None:
    api = APIClient()
    api.force_authenticate(admin)
    today = timezone.localdate()
    for days in (7, 30, 90):
        period = f"start={today - timedelta(days=days - 1)}&end={today}"
        for label, scope in (("one site (200)", "&site=site-0"), ("all sites (1,000)", "")):
            p50, p95, queries = timed(api, f"/api/reports/utilization/?{period}{scope}", requests)
            print(f"report {days:>2} days, {label:<18} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({queries} queries)")
    month = f"start={today - timedelta(days=29)}&end={today}"
    p50, p95, _ = timed(api, f"/api/reports/utilization/export/?{month}", requests)
    print(f"CSV export (resources, 30 days, all sites)  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
    page = Client()
    page.force_login(admin)
    p50, p95, _ = timed(page, f"/reports/utilization/?{month}&site=site-0", requests)
    print(f"report page (30 days, one site)             p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")


def over_http(admin, args) -> None:
    _, token = accounts.api_token_create(actor=admin, user=admin, name="bench")
    today = timezone.localdate()
    url = f"/api/reports/utilization/?start={today - timedelta(days=29)}&end={today}&site=site-0"
    connection.close()
    server, base = start_gunicorn(production=True)
    try:
        name = "report 30 days, one site (200), admin's API token"
        print(wrk_read(base, url, name, token=token, seconds=args.seconds, connections=args.connections))
        print(healthz_anchor(base, connections=args.connections))
    finally:
        server.terminate()
        server.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--explain", action="store_true", help="print the plans of the report's queries")
    parser.add_argument("--explorer-only", action="store_true")
    args = parser.parse_args()
    per_site, sites_count = 200, 5
    per_resource = args.bookings // (per_site * sites_count)

    config = setup_databases(verbosity=0, interactive=False)
    try:
        kind = ResourceType.objects.create(name="GPU", color="#f28e2b")
        sites = [
            Site.objects.create(name=f"Site {i}", slug=f"site-{i}", time_zone=tz)
            for i, tz in enumerate(["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Europe/London"])
        ]
        for site in sites:
            Resource.objects.bulk_create(
                Resource(site=site, resource_type=kind, name=f"{site.slug}-node{n:03d}") for n in range(per_site)
            )
        User = get_user_model()
        users = User.objects.bulk_create(User(username=f"user{i:02d}") for i in range(USERS))
        admin = User.objects.create_superuser("admin", "admin@example.org", "x")
        with connection.cursor() as cursor:  # the resources existed before the first booking
            cursor.execute("UPDATE resources_resource SET created = %s", [timezone.now() - timedelta(days=800)])
        total, filled = fill_bookings(users, per_resource)
        print(f"{total:,} bookings over {per_site * sites_count} resources, filled in {filled:.0f} s")

        collect_static()
        if args.explain:
            explain(today=timezone.localdate(), site=sites[0])
        if not args.explorer_only:
            measure_reports(admin, args.requests)
        page = Client()
        page.force_login(admin)
        p50, p95, queries = timed(page, "/explorer/?q=site-0", args.requests)
        print(
            f"explorer page (1,000 resources, one site shown)  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
            f"({queries} queries)"
        )
        if not args.explorer_only:
            over_http(admin, args)
    finally:
        finish(None, config)


if __name__ == "__main__":
    main()
