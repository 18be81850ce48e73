"""Catalogue API latency and throughput, in process, on the configured PostgreSQL.

    DEBUG=1 .venv/bin/python -m bench.catalogue_api [--resources 2000] [--requests 200]

Builds a throw-away test database (never the real one), fills it with sites, types and a tree of
resources, then times list/detail/create/patch requests through Django's full request stack
(middleware, auth, DRF, serializers, SQL). Prints one line per scenario.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Its own throw-away database, so that a bench and the test suite can run side by side.
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from resources.models import Resource, ResourceType, Site  # noqa: E402


def seed(count: int) -> dict:
    sites = [Site.objects.create(name=f"Site {i}", slug=f"site-{i}") for i in range(4)]
    server = ResourceType.objects.create(name="GPU server", color="#e15759")
    gpu = ResourceType.objects.create(name="GPU", color="#f28e2b")
    made = 0
    servers = []
    while made < count:
        site = sites[len(servers) % len(sites)]
        parent = Resource.objects.create(site=site, resource_type=server, name=f"srv-{made}", specs="8x A100")
        servers.append(parent)
        made += 1
        gpus = [
            Resource(site=site, resource_type=gpu, name=f"srv-{made - 1}-gpu{i}", parent=parent)
            for i in range(min(7, count - made))
        ]
        Resource.objects.bulk_create(gpus)
        made += len(gpus)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # plans as on a live database, not on never-analyzed tables
    return {"site": sites[0], "server": server, "servers": servers}


def timed(label: str, call, n: int) -> None:
    call()  # warm-up
    samples = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code < 300, (label, response.status_code, response.content[:300])
    elapsed = time.perf_counter() - start
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(
        f"{label:44} {n / elapsed:8.1f} req/s   p50 {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    config = setup_databases(verbosity=0, interactive=False)
    try:
        data = seed(args.resources)
        user = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
        client = APIClient()
        client.force_authenticate(user)
        n = args.requests
        print(f"{Resource.objects.count()} resources, {n} requests per scenario")
        timed("GET /api/resources/?page_size=50", lambda: client.get("/api/resources/?page_size=50"), n)
        timed("GET /api/resources/?page_size=1000", lambda: client.get("/api/resources/?page_size=1000"), n // 10)
        timed(
            "GET /api/resources/?search=gpu3&site=..",
            lambda: client.get(f"/api/resources/?search=gpu3&site={data['site'].pk}"),
            n,
        )
        server = data["servers"][0]
        timed("GET /api/resources/{id}/", lambda: client.get(f"/api/resources/{server.pk}/"), n)
        counter = iter(range(10**9))
        timed(
            "POST /api/resources/ (child of a server)",
            lambda: client.post(
                "/api/resources/",
                {
                    "site": data["site"].pk,
                    "resource_type": data["server"].pk,
                    "name": f"new-{next(counter)}",
                    "parent": server.pk,
                },
                format="json",
            ),
            n,
        )
        timed(
            "PATCH /api/resources/{id}/ status",
            lambda: client.patch(
                f"/api/resources/{server.pk}/", {"status": ["active", "maintenance"][next(counter) % 2]}, format="json"
            ),
            n,
        )
    finally:
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
