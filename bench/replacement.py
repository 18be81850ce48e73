"""Replacement time: from a status change (the API call that marks a leased machine in maintenance)
to the replacement's event at a webhook receiver, with real processes on production settings:
gunicorn as the image runs it, one Celery worker (8 threads), a receiver on loopback. Meanwhile wrk
posts bookings on 100 other machines of the same site (16 connections), so the replacement competes
with ordinary writes. Anchor from the same run: pgbench writing the rows one replacement writes (the
booking's new machine, an audit row, an outbox event) in one transaction, one client.

    .venv/bin/python -m bench.replacement [--rounds 30] [--leases 10]
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_replacement")

from bench.production_env import use_production_settings

use_production_settings()
os.environ["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"  # the receiver is on loopback

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services as accounts  # noqa: E402
from audit.models import AuditEntry  # noqa: E402
from bench.booking_throughput import LUA  # noqa: E402
from bench.support import copy_row_sql, database_url, finish, pgbench, start_gunicorn, wait_healthy, wrk  # noqa: E402
from bench.support import percentile as pct  # noqa: E402
from config.celery import WORKER_QUEUES, app, worker_command  # noqa: E402
from reservations.leases import services as leases  # noqa: E402
from reservations.models import Reservation  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Membership, Role, Site  # noqa: E402
from webhooks import services as webhooks  # noqa: E402
from webhooks.models import Event  # noqa: E402

arrivals: dict[int, float] = {}  # replaced machine id -> when its lease.updated arrived
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        replaced = body["data"]["lease"].get("replaced") if body["type"] == "lease.updated" else None
        if replaced:
            with lock:
                arrivals.setdefault(replaced["from"]["id"], time.time())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def start_worker() -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    process = subprocess.Popen(worker_command(pool="threads", concurrency=8, level="error", quiet=True), env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not app.control.ping(timeout=0.5):
        pass
    return process


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--leases", type=int, default=10)
    parser.add_argument("--quiet", action="store_true", help="no wrk load meanwhile")
    args = parser.parse_args()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()

    config = setup_databases(verbosity=0, interactive=False)
    server = worker = None
    try:
        site = Site.objects.create(name="Bench", slug="bench", time_zone="UTC")
        kind = ResourceType.objects.create(name="GPU server", color="#4e79a7")
        pool = Resource.objects.bulk_create(
            Resource(site=site, resource_type=kind, name=f"gpu{i:03d}") for i in range(4 * args.leases)
        )
        node = ResourceType.objects.create(name="Node")
        others = Resource.objects.bulk_create(
            Resource(site=site, resource_type=node, name=f"load{i:03d}") for i in range(100)
        )
        admin = get_user_model().objects.create_user("bench-admin", "b@example.org")
        Membership.objects.create(site=site, user=admin, role=Role.ADMIN)
        _, token = accounts.api_token_create(actor=admin, user=admin, name="bench")
        webhooks.webhook_create(
            actor=admin,
            site=site,
            name="receiver",
            url=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
            event_types=["lease.updated"],
        )
        start = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        made = [
            leases.lease_create(
                actor=admin, site=site, resource_type=kind, count=2, start=start, end=start + timedelta(hours=8)
            )
            for _ in range(args.leases)
        ]
        with app.connection_for_write() as conn:
            for queue in WORKER_QUEUES:
                conn.default_channel.queue_purge(queue)
        connection.close()

        server, base = start_gunicorn(production=True)
        wait_healthy(base)
        worker = start_worker()
        origin = int((timezone.now() + timedelta(days=30)).replace(minute=0, second=0, microsecond=0).timestamp())
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                LUA.format(base=origin, resources=", ".join(str(r.pk) for r in others), token=token, threads=2)
            )
        load: list = []
        seconds = args.rounds * 2 + 10
        loader = threading.Thread(
            target=lambda: load.append(wrk(base + "/", seconds=seconds, connections=16, script=script.name))
        )
        if not args.quiet:
            loader.start()
            time.sleep(3)

        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        answered, committed, received, missing = [], [], [], 0
        for round_ in range(args.rounds):
            lease = made[round_ % len(made)]
            machine = Reservation.objects.filter(lease=lease, status="confirmed").values_list("resource_id", flat=True)[
                0
            ]
            connection.close()
            with lock:
                arrivals.pop(machine, None)  # a machine may be replaced again in a later round
            began = time.time()
            response = session.post(f"{base}/api/resources/{machine}/status/", json={"status": "maintenance"})
            answered.append((time.time() - began) * 1000)
            assert response.status_code == 200, response.text
            deadline = time.monotonic() + 30
            while machine not in arrivals and time.monotonic() < deadline:
                time.sleep(0.005)
            if machine in arrivals:
                received.append((arrivals[machine] - began) * 1000)
            else:
                missing += 1
            written = Event.objects.filter(type="lease.updated", payload__data__lease__replaced__from__id=machine)
            committed.append((written.values_list("timestamp", flat=True)[0].timestamp() - began) * 1000)
            session.post(f"{base}/api/resources/{machine}/status/", json={"status": "active"})
            time.sleep(1)
        if not args.quiet:
            loader.join()
        print(
            f"{args.rounds} replacements ({args.leases} leases of 2, {len(pool)} machines): status change answered "
            f"p50 {statistics.median(answered):.0f} ms p95 {pct(answered, 0.95):.0f} ms; replacement event written "
            f"p50 {statistics.median(committed):.0f} ms p95 {pct(committed, 0.95):.0f} ms; at the receiver "
            f"p50 {statistics.median(received):.0f} ms p95 {pct(received, 0.95):.0f} ms max {max(received):.0f} ms; "
            f"{missing} not received"
        )
        if load:
            rps, p50, p99, bad = load[0]
            print(
                f"load meanwhile: wrk 16 connections, POST /api/reservations/ {rps:.1f} req/s, p50 {p50:.0f} ms, "
                f"p99 {p99:.0f} ms, non-2xx {bad}"
            )
        else:
            print("no load meanwhile (--quiet)")
        moved = Reservation.objects.filter(lease__isnull=False, status="confirmed").order_by("-updated").first()
        audit = AuditEntry.objects.filter(action="reservation.updated").order_by("-pk").first()
        event = Event.objects.filter(type="lease.updated").first()
        spare = [r.pk for r in pool if not Reservation.objects.filter(resource=r).exists()][:2]
        sql = "\n".join(
            [
                "BEGIN;",
                # Ids this bench chose, not input: the booking moves to a spare machine and back.
                f"UPDATE reservations_reservation SET resource_id = {spare[0]}, updated = now() "  # noqa: S608
                f"WHERE id = {moved.pk};",
                f"UPDATE reservations_reservation SET resource_id = {moved.resource_id}, updated = now() "  # noqa: S608
                f"WHERE id = {moved.pk};",
                copy_row_sql("audit_auditentry", audit.pk, {"timestamp": "now()"}),
                copy_row_sql("webhooks_event", f"'{event.pk}'", {"id": "gen_random_uuid()", "timestamp": "now()"}),
                "END;",
            ]
        )
        connection.close()
        tps, latency = pgbench(sql, clients=1, seconds=10)
        print(
            f"anchor: pgbench, one client, the rows one replacement writes (booking moved, audit row, outbox "
            f"event): {tps:,.0f} tps, {latency:.2f} ms average; ratio of the written p50 to it "
            f"{statistics.median(committed) / latency:.0f}x"
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        receiver.shutdown()
        finish(server, config)


if __name__ == "__main__":
    main()
