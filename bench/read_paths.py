"""Reads in production mode: one object and a page of 50, in process and over HTTP (issue 17).

    .venv/bin/python -m bench.read_paths [--seconds 15] [--connections 16]

A throw-away database with 100 resources and 10,000 bookings. In process: Django's test client
against this process, itself on the production settings (DEBUG=0), 300 requests each, p50/p95 and
queries per request. Over HTTP: gunicorn as the image runs it (DEBUG=0, 3 sync workers),
wrk with 16 connections; anchor from the same run: wrk on /healthz (the stack without a view).
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir_reads")

from bench.production_env import use_production_settings

use_production_settings()

import django  # noqa: E402

django.setup()

from datetime import UTC, datetime, timedelta  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases  # noqa: E402

from accounts import services as accounts  # noqa: E402
from bench.support import finish, healthz_anchor, percentile, start_gunicorn, wrk_read  # noqa: E402
from reservations.models import Reservation  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Membership, Role, Site  # noqa: E402


def in_process(client: Client, url: str, count: int = 300) -> tuple[float, float, int]:
    client.get(url)
    timings = []
    for _ in range(count):
        began = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.content[:300]
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), percentile(timings, 0.95), len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    config = setup_databases(verbosity=0, interactive=False)
    server = None
    try:
        site = Site.objects.create(name="Bench", slug="bench", time_zone="Europe/Berlin")
        kind = ResourceType.objects.create(name="GPU", color="#4e79a7")
        resources = Resource.objects.bulk_create(
            Resource(site=site, resource_type=kind, name=f"gpu-{i:03d}") for i in range(100)
        )
        user = get_user_model().objects.create_user("bench", "bench@example.org")
        Membership.objects.create(site=site, user=user, role=Role.MEMBER)
        origin = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        Reservation.objects.bulk_create(
            Reservation(
                resource=r,
                owner=user,
                created_by=user,
                start=origin + timedelta(hours=k),
                end=origin + timedelta(hours=k, minutes=45),
            )
            for r in resources
            for k in range(100)
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # plans as on a live database, not on never-analyzed tables
        _, token = accounts.api_token_create(actor=user, user=user, name="bench")
        booking = Reservation.objects.order_by("pk").first()
        paths = {
            "GET /api/resources/{id}/": f"/api/resources/{resources[0].pk}/",
            "GET /api/reservations/{id}/": f"/api/reservations/{booking.pk}/",
            "GET /api/resources/ (50 a page)": "/api/resources/?page_size=50",
            "GET /api/reservations/ (50 a page)": "/api/reservations/?page_size=50",
        }
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        for name, url in paths.items():
            p50, p95, queries = in_process(client, url)
            print(f"in process, {name}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, {queries} queries")
        connection.close()

        server, base = start_gunicorn(production=True)
        for name, url in paths.items():
            print(wrk_read(base, url, name, token=token, seconds=args.seconds, connections=args.connections))
        print(healthz_anchor(base, connections=args.connections))
    finally:
        finish(server, config)


if __name__ == "__main__":
    main()
