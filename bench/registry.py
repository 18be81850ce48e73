"""The system resource registry at scale.

    .venv/bin/python -m bench.registry [--ports 60000] [--requests 100] [--clients 16] [--seconds 15]

1. 60,000 ports allocated in one environment: find-available-ports over 1-65535 (count 1, 100, 1000),
   through the API in process, p50/p95; find-available-ips over a /8 behind an allocated /0, and
   over a /12 around 100 scattered allocations.
2. wrk with 16 connections allocating through gunicorn as the image runs it (DEBUG=0, 3 sync
   workers, API tokens): half ask for specific ports (some collide: 409), half for "next free
   port"; req/s, p50/p99, and a check that no value has two live holders. Anchor from the same run:
   pgbench writing the rows one allocation writes (allocation, history, audit, outbox event).
"""

import argparse
import os
import random
import statistics
import sys
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
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts import services as account_services  # noqa: E402
from bench.support import copy_row_sql, pgbench, start_gunicorn, wrk  # noqa: E402
from bench.support import percentile as pct  # noqa: E402
from registry.models import Allocation  # noqa: E402
from tenancy.models import Membership, Role, Site  # noqa: E402

LUA = """
local tokens, ports, n = {{{tokens}}}, {{{ports}}}, 0
request = function()
  n = n + 1
  local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]}}
  if n % 2 == 1 then
    return wrk.format("POST", "/api/system-resources/allocate-next-port/", headers, string.format(
      '{{"site": {site}, "start_port": 1, "end_port": 65535, "resource_name": "x", "owner_service": "c%d"}}', n))
  end
  return wrk.format("POST", "/api/system-resources/", headers, string.format(
    '{{"site": {site}, "resource_type": "port", "resource_value": "%d", "resource_name": "x", "owner_service": "c%d"}}',
    ports[math.random(#ports)], n))
end
"""


def latest_write_as_sql() -> str:
    """The rows the last allocation through the API wrote, as one pgbench transaction (values made unique)."""
    from audit.models import AuditEntry
    from registry.models import AllocationHistory
    from webhooks.models import Event

    allocation = Allocation.objects.filter(owner_service__startswith="c").order_by("-pk").first()
    history = AllocationHistory.objects.filter(allocation=allocation).order_by("-pk").first()
    audit = AuditEntry.objects.filter(object_id=str(allocation.pk)).order_by("-pk").first()
    event = Event.objects.filter(type="allocation.created").order_by("-timestamp").first()
    with connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS bench_value START 100000")
    parts = [
        copy_row_sql(
            "registry_allocation",
            allocation.pk,
            {"resource_value": "s.n::text", "port_number": "s.n"},  # ports beyond 65535: never taken
            also_from="(SELECT nextval('bench_value') AS n) s",
        ),
        copy_row_sql("registry_allocationhistory", history.pk, {}) if history else "",
        copy_row_sql("audit_auditentry", audit.pk, {"timestamp": "now()"}) if audit else "",
        copy_row_sql("webhooks_event", f"'{event.pk}'", {"id": "gen_random_uuid()", "timestamp": "now()"})
        if event
        else "",
    ]
    return "\n".join(["BEGIN;", *[p for p in parts if p], "END;"])


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
        server, base = start_gunicorn(production=True)
        free_pool = sorted(set(range(1, 65536)) - set(taken))
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                LUA.format(
                    tokens=", ".join(f'"{t}"' for t in tokens),
                    ports=", ".join(map(str, free_pool[:3000])),
                    site=site.pk,
                )
            )
        rps, p50, p99, refused = wrk(
            base + "/", seconds=int(args.seconds), connections=args.clients, script=script.name
        )
        server.terminate()
        server.wait(20)
        server = None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT resource_type, resource_value, environment FROM registry_allocation "
                "WHERE status <> 'released' GROUP BY 1, 2, 3 HAVING count(*) > 1) d"
            )
            doubles = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM registry_allocation WHERE owner_service LIKE 'c%%'")
            made = cursor.fetchone()[0]
        print(
            f"wrk {args.clients} connections allocating over HTTP (gunicorn 3x sync, DEBUG=0), half a given port "
            f"among 3,000 (some taken: 409), half the next free port: {rps:.1f} req/s, p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms; {made:,} created, {refused:,} refused; values with two live holders: {doubles}"
        )
        anchor = latest_write_as_sql()
        connection.close()
        tps, latency = pgbench(anchor, clients=args.clients, seconds=int(args.seconds))
        print(
            f"anchor: pgbench, the same four rows per transaction (allocation, history, audit, outbox event), "
            f"{args.clients} clients: {tps:,.0f} tps, {latency:.2f} ms average; ratio {rps / tps:.3f}"
        )
        if doubles:
            sys.exit(1)
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        connection.close()
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
