"""Booking throughput in production mode, with its anchor from the same run (issue 17's setup).

    .venv/bin/python -m bench.booking_throughput [--seconds 20] [--connections 16]

A throw-away database with 100 resources; gunicorn as the image runs it (DEBUG=0, gunicorn.conf.py,
3 sync workers: WEB_CONCURRENCY); wrk posts, with 16 connections, each request a different free 30-minute
slot (a Lua script hands every connection its own slots), so each one is a 201. Then the same rows
written as raw SQL by pgbench (16 clients): the booking insert with its exclusion check, the audit
row and the outbox event, each copied from one the application wrote. Then GET of one resource.
Prints requests per second, latency, statements per request and the ratio to pgbench.
"""

import argparse
import os
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir_throughput")
# This driver fills the database and counts queries; the server it measures runs DEBUG=0.
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from datetime import UTC, datetime, timedelta  # noqa: E402

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from audit.models import AuditEntry  # noqa: E402
from bench.support import (  # noqa: E402
    IMAGE_WORKERS,
    booking_scene,
    copy_row_sql,
    finish,
    healthz_anchor,
    pgbench,
    start_gunicorn,
    wrk,
)
from reservations.models import Reservation  # noqa: E402
from webhooks.models import Event  # noqa: E402

LUA = """
local base, resources, token = {base}, {{{resources}}}, "{token}"
local threads, counter = {{}}, 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
local n = 0
request = function()
  n = n + 1
  local k = n * {threads} + tid
  local resource = resources[(k % #resources) + 1]
  local start = base + math.floor(k / #resources) * 1800
  local body = string.format('{{"resource": %d, "start": "%s", "end": "%s"}}', resource,
    os.date("!%Y-%m-%dT%H:%M:%SZ", start), os.date("!%Y-%m-%dT%H:%M:%SZ", start + 1800))
  return wrk.format("POST", "/api/reservations/", {{["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}}, body)
end
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=IMAGE_WORKERS, help="gunicorn workers (the image's: 3)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (1: sync workers, the image's)")
    args = parser.parse_args()
    print(f"gunicorn {args.workers} workers x {args.threads} threads")
    config = setup_databases(verbosity=0, interactive=False)
    server = None
    try:
        ids, _, token = booking_scene()

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        client.post(
            "/api/reservations/",
            {"resource": ids[0], "start": base.isoformat(), "end": (base + timedelta(minutes=30)).isoformat()},
            format="json",
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/reservations/",
                {"resource": ids[1], "start": base.isoformat(), "end": (base + timedelta(minutes=30)).isoformat()},
                format="json",
            )
        assert response.status_code == 201, response.content
        statements = len(queries.captured_queries)
        template = Reservation.objects.get(pk=response.json()["id"])
        audit = AuditEntry.objects.filter(object_id=str(template.pk)).order_by("-pk").first()
        event = Event.objects.filter(type="reservation.created").order_by("-timestamp").first()

        server, url = start_gunicorn(args.workers, production=True, threads=args.threads)
        wrk_threads = 2
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                LUA.format(
                    base=int((base + timedelta(days=1)).timestamp()),
                    resources=", ".join(map(str, ids)),
                    token=token,
                    threads=wrk_threads,
                )
            )
        rps, p50, p99, bad = wrk(
            url + "/", seconds=args.seconds, connections=args.connections, threads=wrk_threads, script=script.name
        )
        made = Reservation.objects.count()
        print(
            f"POST /api/reservations/, wrk {args.connections} connections {args.seconds} s: {rps:.1f} req/s, "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, non-2xx {bad}; {statements} SQL statements per request; "
            f"{made:,} bookings in the table"
        )
        server.terminate()
        server.wait(10)
        server = None

        slot = f"'{base.isoformat()}'::timestamptz + interval '1000 days' + s.n * interval '30 minutes'"
        sql = "\n".join(
            [
                "BEGIN;",
                copy_row_sql(
                    "reservations_reservation",
                    template.pk,
                    {
                        "resource_id": f"{ids[0]} + s.n % 100",
                        "start": slot,
                        "end": f"{slot} + interval '30 minutes'",
                        "blocked_until": "NULL",
                        "created": "now()",
                        "updated": "now()",
                    },
                    also_from="(SELECT nextval('bench_slot') AS n) s",
                ),
                copy_row_sql("audit_auditentry", audit.pk, {"timestamp": "now()"}),
                copy_row_sql("webhooks_event", f"'{event.pk}'", {"id": "gen_random_uuid()", "timestamp": "now()"}),
                "END;",
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute("CREATE SEQUENCE bench_slot")
        connection.close()
        tps, latency = pgbench(sql, clients=args.connections, seconds=args.seconds)
        print(
            f"anchor: pgbench, the same three rows per transaction, {args.connections} clients: {tps:,.0f} tps, "
            f"{latency:.2f} ms average; ratio {rps / tps:.3f}"
        )

        server, url = start_gunicorn(args.workers, production=True, threads=args.threads)
        rps, p50, p99, bad = wrk(
            f"{url}/api/resources/{ids[0]}/",
            seconds=args.seconds,
            connections=args.connections,
            headers=[f"Authorization: Bearer {token}"],
        )
        print(
            f"GET /api/resources/{{id}}/, wrk {args.connections} connections: {rps:.0f} req/s, p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms, non-2xx {bad}"
        )
        print(healthz_anchor(url, connections=args.connections))
    finally:
        finish(server, config)


if __name__ == "__main__":
    main()
