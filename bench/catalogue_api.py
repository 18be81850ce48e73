"""Catalogue API latency and throughput on the production settings.

    .venv/bin/python -m bench.catalogue_api [--resources 2000] [--requests 200] [--seconds 15] [--connections 16]

Builds a throw-away test database (never the real one), fills it with sites, types and a tree of
resources, then:
1. in process (this process on the production settings, DEBUG=0), one client: list/detail/search/
   create/patch through Django's full request stack, p50/p95 and queries per request;
2. over HTTP: gunicorn as the image runs it (DEBUG=0, 3 sync workers), wrk with 16
   connections and a personal API token per connection: the list page, one resource, and creating
   resources (each a child of a server: site lock, cycle check, audit entry, outbox event).
   Anchors from the same run: wrk on /healthz for the reads, pgbench writing the rows one create
   wrote (resource, audit entry, event; copied from the last one the API made) for the writes.
"""

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Its own throw-away database, so that a bench and the test suite can run side by side.
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir")

from bench.production_env import use_production_settings

use_production_settings()

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts import services as accounts  # noqa: E402
from bench.support import copy_row_sql, finish, healthz_anchor, percentile, pgbench, start_gunicorn, wrk, wrk_read  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Site  # noqa: E402

CREATE_LUA = """
local tokens, n, threads = {{{tokens}}}, 0, 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end
request = function()
  n = n + 1
  local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]}}
  return wrk.format("POST", "/api/resources/", headers, string.format(
    '{{"site": {site}, "resource_type": {kind}, "name": "wrk-%d-%d", "parent": {parent}}}', id, n))
end
"""


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
    """In process: n calls after a warm-up; req/s, p50, p95 and the queries of one call."""
    call()
    samples = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code < 300, (label, response.status_code, response.content[:300])
    elapsed = time.perf_counter() - start
    with CaptureQueriesContext(connection) as queries:
        call()
    print(
        f"{label:44} {n / elapsed:8.1f} req/s   p50 {statistics.median(samples):7.2f} ms   "
        f"p95 {percentile(samples, 0.95):7.2f} ms   {len(queries.captured_queries)} queries",
        flush=True,
    )


def latest_create_as_sql() -> str:
    """The rows the last create through the API wrote, as one pgbench transaction (unique names)."""
    from audit.models import AuditEntry
    from webhooks.models import Event

    resource = Resource.objects.filter(name__startswith="wrk-").order_by("-pk").first()
    audit = AuditEntry.objects.filter(object_id=str(resource.pk), action="resource.created").first()
    event = Event.objects.filter(type="resource.created").order_by("-timestamp").first()
    parts = [
        copy_row_sql("resources_resource", resource.pk, {"name": "'pg-' || gen_random_uuid()"}),
        copy_row_sql("audit_auditentry", audit.pk, {"timestamp": "now()"}) if audit else "",
        copy_row_sql("webhooks_event", f"'{event.pk}'", {"id": "gen_random_uuid()", "timestamp": "now()"})
        if event
        else "",
    ]
    return "\n".join(["BEGIN;", *[p for p in parts if p], "END;"])


def in_process(data: dict, admin, n: int) -> None:
    client = APIClient()
    client.force_authenticate(admin)
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


def over_http(data: dict, tokens: list[str], args) -> None:
    server = data["servers"][1]
    reads = {
        "GET /api/resources/?page_size=50": "/api/resources/?page_size=50",
        "GET /api/resources/{id}/": f"/api/resources/{server.pk}/",
    }
    gunicorn, base = start_gunicorn(production=True)
    try:
        for name, url in reads.items():
            print(wrk_read(base, url, name, token=tokens[0], seconds=args.seconds, connections=args.connections))
        print(healthz_anchor(base, connections=args.connections))
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                CREATE_LUA.format(
                    tokens=", ".join(f'"{t}"' for t in tokens),
                    site=server.site_id,
                    kind=data["server"].pk,
                    parent=server.pk,
                )
            )
        rps, p50, p99, bad = wrk(base + "/", seconds=args.seconds, connections=args.connections, script=script.name)
    finally:
        gunicorn.terminate()
        gunicorn.wait(20)
    made = Resource.objects.filter(name__startswith="wrk-").count()
    print(
        f"wrk {args.connections} connections, POST /api/resources/ (child of a server): {rps:.1f} req/s, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, non-2xx {bad}, {made:,} created"
    )
    anchor = latest_create_as_sql()
    connection.close()
    tps, latency = pgbench(anchor, clients=args.connections, seconds=args.seconds)
    print(
        f"anchor: pgbench, the same rows per transaction (resource, audit entry, event), {args.connections} clients: "
        f"{tps:,.0f} tps, {latency:.2f} ms average; ratio {rps / tps:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    config = setup_databases(verbosity=0, interactive=False)
    try:
        data = seed(args.resources)
        admin = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
        print(f"{Resource.objects.count()} resources, {args.requests} requests per scenario in process")
        in_process(data, admin, args.requests)
        tokens = [accounts.api_token_create(actor=admin, user=admin, name=f"bench {i}")[1] for i in range(4)]
        connection.close()
        over_http(data, tokens, args)
    finally:
        finish(None, config)


if __name__ == "__main__":
    main()
