"""Lease create throughput in production mode, with its anchor from the same run (issue 39).

    .venv/bin/python -m bench.lease_create [--seconds 15] [--connections 16] [--count 2]

A throw-away database with 100 servers of one type at one site; gunicorn as the image runs it
(DEBUG=0, 3 sync workers); wrk posts `POST /api/leases/` for `count` servers, each request a
different free 30-minute slot, so each one is a 201. Leases of one site and type take turns (the
search and the booking are one decision), so this is also how fast one pool can be leased from.
Then the same rows written as raw SQL by pgbench: the lease, its bookings (each with its exclusion
check), an audit row and an outbox event for each, copied from what the application wrote.
Prints requests per second, latency, statements per request and the ratio to pgbench.
"""

import argparse
import os
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir_lease_create")
# This driver fills the database and counts queries; the server it measures runs DEBUG=0.
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from datetime import UTC, datetime, timedelta  # noqa: E402

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from audit.models import AuditEntry  # noqa: E402
from bench.support import booking_scene, copy_row_sql, finish, pgbench, start_gunicorn, wrk  # noqa: E402
from reservations.leases.models import Lease  # noqa: E402
from resources.models import Resource  # noqa: E402
from webhooks.models import Event  # noqa: E402

LUA = """
local base, site, kind, count, token = {base}, {site}, {kind}, {count}, "{token}"
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
local n = 0
request = function()
  n = n + 1
  local start = base + (n * {threads} + tid) * 1800
  local body = string.format('{{"site": %d, "resource_type": %d, "count": %d, "start": "%s", "end": "%s"}}',
    site, kind, count, os.date("!%Y-%m-%dT%H:%M:%SZ", start), os.date("!%Y-%m-%dT%H:%M:%SZ", start + 1800))
  return wrk.format("POST", "/api/leases/", {{["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}}, body)
end
"""


def _anchor_sql(lease: Lease) -> str:
    """The rows one lease create wrote, as one pgbench transaction at a new slot."""
    bookings = list(lease.bookings.order_by("pk"))
    ids = [str(b.pk) for b in bookings]
    slot = f"'{lease.start.isoformat()}'::timestamptz + interval '1000 days' + s.n * interval '30 minutes'"
    new_lease = "currval(pg_get_serial_sequence('reservations_lease', 'id'))"
    audits = AuditEntry.objects.filter(object_id__in=[str(lease.pk), *ids]).order_by("pk")
    events = Event.objects.filter(type__in=["reservation.created", "lease.created"]).order_by("-timestamp")
    events = events[: len(bookings) + 1]
    lines = [
        "BEGIN;",
        "SELECT nextval('bench_slot') AS n \\gset",
        copy_row_sql(
            "reservations_lease",
            lease.pk,
            {"start": slot, "end": f"{slot} + interval '30 minutes'", "created": "now()", "updated": "now()"},
            also_from="(SELECT :n AS n) s",
        ),
    ]
    for booking in bookings:
        lines.append(
            copy_row_sql(
                "reservations_reservation",
                booking.pk,
                {
                    "lease_id": new_lease,
                    "start": slot,
                    "end": f"{slot} + interval '30 minutes'",
                    "blocked_until": "NULL",
                    "created": "now()",
                    "updated": "now()",
                },
                also_from="(SELECT :n AS n) s",
            )
        )
    lines += [copy_row_sql("audit_auditentry", a.pk, {"timestamp": "now()"}) for a in audits]
    lines += [
        copy_row_sql("webhooks_event", f"'{e.pk}'", {"id": "gen_random_uuid()", "timestamp": "now()"}) for e in events
    ]
    return "\n".join([*lines, "END;"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--count", type=int, default=2, help="servers per lease")
    args = parser.parse_args()
    config = setup_databases(verbosity=0, interactive=False)
    server = None
    try:
        ids, _, token = booking_scene()
        first = Resource.objects.get(pk=ids[0])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)

        def lease(start):
            body = {
                "site": first.site_id,
                "resource_type": first.resource_type_id,
                "count": args.count,
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=30)).isoformat(),
            }
            response = client.post("/api/leases/", body, format="json")
            assert response.status_code == 201, response.content
            return response.json()["id"]

        lease(base)
        with CaptureQueriesContext(connection) as queries:
            template = Lease.objects.get(pk=lease(base + timedelta(minutes=30)))
        statements = len(queries.captured_queries)

        server, url = start_gunicorn(production=True)
        threads = 2
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                LUA.format(
                    base=int((base + timedelta(days=1)).timestamp()),
                    site=first.site_id,
                    kind=first.resource_type_id,
                    count=args.count,
                    token=token,
                    threads=threads,
                )
            )
        rps, p50, p99, bad = wrk(
            url + "/", seconds=args.seconds, connections=args.connections, threads=threads, script=script.name
        )
        print(
            f"POST /api/leases/ ({args.count} servers), wrk {args.connections} connections {args.seconds} s: "
            f"{rps:.1f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, non-2xx {bad}; {statements} SQL statements "
            f"per request; {Lease.objects.count():,} leases in the table"
        )
        server.terminate()
        server.wait(10)
        server = None

        sql = _anchor_sql(template)
        with connection.cursor() as cursor:
            cursor.execute("CREATE SEQUENCE bench_slot")
        connection.close()
        tps, latency = pgbench(sql, clients=args.connections, seconds=args.seconds)
        print(
            f"anchor: pgbench, the same rows per transaction (lease, {args.count} bookings, their audit rows and "
            f"events), {args.connections} clients: {tps:,.0f} tps, {latency:.2f} ms average; ratio {rps / tps:.3f}"
        )
    finally:
        finish(server, config)


if __name__ == "__main__":
    main()
