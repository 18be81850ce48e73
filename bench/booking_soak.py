"""A soak of booking writes with delivery running, naming every answer that is not a 201.

    .venv/bin/python -m bench.booking_soak [--seconds 180] [--connections 16]

A throw-away database with 100 resources and a webhook to a receiver on loopback; gunicorn as the
image runs it (DEBUG=0, 3 sync workers) and a Celery worker delivering (threads, 8); wrk posts
bookings, each to its own free slot (the Lua script of bench.booking_throughput), so every answer
should be a 201. wrk's Lua records each other answer's status and body; they are counted by status
and error code and the first few printed, with what gunicorn logged. Anchor from the same run: the
events delivered, and pgbench's select-only rate on the same server.
"""

import argparse
import json
import os
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir_soak")
# This driver fills the database; the server it measures runs DEBUG=0.
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from accounts import services as accounts  # noqa: E402
from bench.booking_throughput import LUA  # noqa: E402
from bench.support import database_url, healthz_anchor, start_gunicorn, wrk  # noqa: E402
from bench.webhook_delivery import start_worker as start_delivery_worker  # noqa: E402
from reservations.models import Reservation  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Membership, Role, Site  # noqa: E402
from webhooks import services as webhooks  # noqa: E402
from webhooks.models import Delivery  # noqa: E402

REFUSALS = """
local log = io.open("{log}", "a")
response = function(status, headers, body)
  if status ~= 201 then
    log:write(string.format("%d\\t%s\\n", status, (body or ""):gsub("\\n", " "):sub(1, 400)))
    log:flush()
  end
end
"""
received = Counter()


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received["posts"] += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def read_lines(path: str) -> list[str]:
    if not os.path.exists(path):
        return []
    with open(path) as file:
        return file.read().splitlines()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    config = setup_databases(verbosity=0, interactive=False)
    server = worker = None
    work = tempfile.mkdtemp(prefix="reservoir-soak-")
    refusals, server_log = os.path.join(work, "refusals.tsv"), os.path.join(work, "gunicorn.log")
    try:
        site = Site.objects.create(name="Soak", slug="soak", time_zone="Europe/Berlin")
        kind = ResourceType.objects.create(name="GPU", color="#4e79a7")
        Resource.objects.bulk_create(Resource(site=site, resource_type=kind, name=f"gpu-{i:03d}") for i in range(100))
        ids = list(Resource.objects.order_by("pk").values_list("pk", flat=True))
        user = get_user_model().objects.create_user("soak", "soak@example.org")
        Membership.objects.create(site=site, user=user, role=Role.ADMIN)
        _, token = accounts.api_token_create(actor=user, user=user, name="soak")
        webhooks.webhook_create(
            actor=user, site=site, name="receiver", url=f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        )
        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        with open(os.path.join(work, "soak.lua"), "w") as script:
            script.write(
                LUA.format(base=int(base.timestamp()), resources=", ".join(map(str, ids)), token=token, threads=2)
            )
            script.write(REFUSALS.format(log=refusals))
        os.environ["BENCH_GUNICORN_LOG"] = server_log
        server, url = start_gunicorn(production=True)
        worker = start_delivery_worker("threads", 8)
        rps, p50, p99, bad = wrk(
            url + "/", seconds=args.seconds, connections=args.connections, threads=2, script=script.name
        )
        made = Reservation.objects.count()
        print(
            f"soak: wrk {args.connections} connections {args.seconds} s, POST /api/reservations/: {rps:.1f} req/s, "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; {made:,} bookings written, non-2xx {bad}"
        )
        lines = read_lines(refusals)
        kinds = Counter()
        for line in lines:
            status, _, body = line.partition("\t")
            try:
                code = json.loads(body).get("code", "?")
            except ValueError:
                code = "not JSON"
            kinds[(status, code)] += 1
        for (status, code), count in sorted(kinds.items()):
            print(f"  {count} x {status} {code}")
        for line in lines[:5]:
            print(f"  e.g. {line[:400]}")
        logged = [line for line in read_lines(server_log) if "ERROR" in line or "Traceback" in line]
        print(f"gunicorn logged {len(logged)} error lines" + "".join(f"\n  {line[:300]}" for line in logged[:10]))
        print(
            f"anchor: {Delivery.objects.filter(status='succeeded').count():,} deliveries succeeded, "
            f"{received['posts']:,} posts at the receiver; {healthz_anchor(url, connections=args.connections)}"
        )
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(30)
        receiver.shutdown()
        teardown_databases(config, verbosity=0)
        print(f"logs: {work} (database {database_url().rsplit('/', 1)[-1]})")


if __name__ == "__main__":
    main()
