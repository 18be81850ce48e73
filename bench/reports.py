"""Utilization reports and the resource explorer at scale: 1,000,000 bookings over 1,000 resources
(5 sites of 200, 50 users), a year of history.

    DEBUG=1 .venv/bin/python -m bench.reports [--bookings 1000000] [--requests 20]

Measures the report API (all figures: per resource/type/site, heatmap, top users, idle) for one site
and for all sites over 7, 30 and 90 days, the CSV export, and the explorer page of a site.
"""

import argparse
import os
import statistics
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.support import percentile  # noqa: E402
from resources.models import Resource, ResourceType, Site  # noqa: E402

USERS = 50
FILL = """
INSERT INTO reservations_reservation
    (created, updated, resource_id, owner_id, title, description, start, "end", parameters, status)
SELECT now(), now(), r.id, (%(first_user)s + (r.id + k) %% %(users)s), 'job', '', s.start,
       s.start + (1 + (k %% 4)) * interval '1 hour', '{}'::jsonb, 'confirmed'
FROM resources_resource r
CROSS JOIN generate_series(0, %(per_resource)s - 1) AS k
CROSS JOIN LATERAL (SELECT %(origin)s::timestamptz + k * interval '17 hours' AS start) s
"""


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
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
        origin = timezone.now() - timedelta(hours=17 * per_resource // 2)
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE resources_resource SET created = %s", [origin - timedelta(days=1)])
            cursor.execute(
                FILL,
                {"first_user": users[0].pk, "users": USERS, "per_resource": per_resource, "origin": origin},
            )
            cursor.execute("ANALYZE")
            cursor.execute("SELECT count(*) FROM reservations_reservation")
            total = cursor.fetchone()[0]
        print(f"{total:,} bookings over {per_site * sites_count} resources, filled in {time.perf_counter() - t0:.0f} s")

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
    finally:
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
