"""Webhook delivery throughput and latency, and start/end event lag, with real processes:
a Celery worker (its own process) delivering to a local HTTP receiver, on a throw-away database.

    .venv/bin/python -m bench.webhook_delivery [--events 500] [--bookings 300] [--under-load]

`--under-load`: the start/end part runs while wrk posts bookings (bench.booking_throughput's load:
gunicorn as the image runs it, 16 connections) on other resources of the same database.
"""

import argparse
import os
import statistics
import subprocess
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Its own throw-away database, so that a bench and the test suite can run side by side.
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir")

from bench.production_env import use_production_settings

use_production_settings()
os.environ["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"  # the receiver is on loopback

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.support import database_url  # noqa: E402
from bench.support import percentile as pct  # noqa: E402
from config.celery import WORKER_QUEUES, app, worker_command  # noqa: E402
from reservations import services as bookings  # noqa: E402
from reservations.models import Reservation  # noqa: E402
from reservations.tasks import schedule_boundaries  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Membership, Role, Site  # noqa: E402
from webhooks import services as webhooks  # noqa: E402
from webhooks.models import Delivery, DeliveryStatus  # noqa: E402
from webhooks.outbox import write_event  # noqa: E402

arrivals: dict[str, float] = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real receivers (nginx, load balancers) answer

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            arrivals.setdefault(self.headers["webhook-id"], time.time())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def start_worker(pool: str, concurrency: int) -> subprocess.Popen:
    # Production settings, as the image runs the worker; the receiver is on loopback, allowed explicitly.
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    process = subprocess.Popen(
        worker_command(pool=pool, concurrency=concurrency, level="error", quiet=True),
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not app.control.ping(timeout=0.5):
        pass
    return process


def delivery_request(hook) -> tuple[bytes, dict]:
    from webhooks.transport import delivery

    sample = Delivery.objects.select_related("event", "webhook").filter(webhook=hook).first()
    return delivery.build_request(hook, sample)


def plain_loop(url: str, body: bytes, headers: dict, count: int, threads: int) -> float:
    """The anchor: the same HTTP client posting the same bodies to the same receiver, nothing else."""
    import requests

    def run(n: int) -> None:
        with requests.Session() as session:
            for _ in range(n):
                session.post(url, data=body, headers=headers, timeout=10).close()

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(count // threads,)) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return (count // threads) * threads / (time.perf_counter() - started)


def booking_load(site, kind, owner, *, seconds: int):
    """wrk posting bookings on 100 other resources for `seconds`, in a thread: (thread, [result], server)."""
    import tempfile

    from accounts import services as accounts
    from bench.booking_throughput import LUA
    from bench.support import start_gunicorn, wrk

    others = Resource.objects.bulk_create(
        Resource(site=site, resource_type=kind, name=f"load{i:03d}") for i in range(100)
    )
    _, token = accounts.api_token_create(actor=owner, user=owner, name="load")
    origin = int((timezone.now() + timedelta(days=30)).replace(minute=0, second=0, microsecond=0).timestamp())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.format(base=origin, resources=", ".join(str(r.pk) for r in others), token=token, threads=2))
    server, base = start_gunicorn(production=True)
    result = []
    thread = threading.Thread(
        target=lambda: result.append(wrk(base + "/", seconds=seconds, connections=16, script=script.name))
    )
    thread.start()
    return thread, result, server


def wait_delivered(count: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() >= count:
            return
        time.sleep(0.1)
    raise RuntimeError("deliveries did not finish")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--under-load", action="store_true")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    config = setup_databases(verbosity=0, interactive=False)
    worker = None
    try:
        site = Site.objects.create(name="Bench", slug="bench", time_zone="UTC")
        kind = ResourceType.objects.create(name="Node", color="#4e79a7")
        nodes = Resource.objects.bulk_create(
            Resource(site=site, resource_type=kind, name=f"node{i:03d}") for i in range(args.bookings)
        )
        admin = get_user_model().objects.create_user("bench-admin", "b@example.org")
        Membership.objects.create(site=site, user=admin, role=Role.ADMIN)
        hook, _ = webhooks.webhook_create(actor=admin, site=site, name="receiver", url=url)
        with app.connection_for_write() as conn:
            for queue in WORKER_QUEUES:
                conn.default_channel.queue_purge(queue)

        # The events are written first (their tasks wait in the broker), then one worker process
        # starts: what is timed is delivery alone, not this process writing events.
        for pool, concurrency in (("solo", 1), ("threads", 8)):
            Delivery.objects.all().delete()
            arrivals.clear()
            for _ in range(args.events):
                write_event(event_type="webhook.test", data={}, site_id=site.pk, webhooks=[hook])
            worker = start_worker(pool, concurrency)
            wait_delivered(args.events)
            # From the first arrival at the receiver to the last: the worker's start-up not included.
            rate = (len(arrivals) - 1) / (max(arrivals.values()) - min(arrivals.values()))
            print(f"throughput, one worker process ({pool}, {concurrency}): {rate:.1f} events/s")
            worker.terminate()
            worker.wait(30)
            worker = None
        body, headers = delivery_request(hook)
        for threads in (1, 8):
            plain = plain_loop(url, body, headers, args.events, threads)
            print(
                f"anchor: a plain loop of requests.Session posts, same bodies and receiver, {threads} thread(s): "
                f"{plain:.1f} posts/s" + (f"; ratio {rate / plain:.2f}" if threads == 8 else "")
            )
        worker = start_worker("threads", 8)

        # End to end: commit of a booking -> the receiver has it.
        Delivery.objects.all().delete()
        arrivals.clear()
        committed = {}
        for i in range(100):
            start = timezone.now() + timedelta(days=2, hours=i)
            booking = bookings.reservation_create(
                actor=admin, resource=nodes[0], start=start, end=start + timedelta(minutes=30)
            )
            committed[str(booking.pk)] = time.time()
            time.sleep(0.02)
        wait_delivered(100)
        event_ids = dict(
            Delivery.objects.filter(event__type="reservation.created").values_list(
                "event_id", "event__payload__data__reservation__id"
            )
        )
        latencies = [(arrivals[str(e)] - committed[str(r)]) * 1000 for e, r in event_ids.items() if str(e) in arrivals]
        print(
            f"commit to receipt (100 bookings, one at a time): p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {pct(latencies, 0.95):.1f} ms"
        )

        # Start and end events of many bookings within the same seconds.
        Reservation.objects.all().delete()
        Delivery.objects.all().delete()
        webhooks.webhook_update(actor=admin, webhook=hook, event_types=["reservation.started", "reservation.ended"])
        load = booking_load(site, kind, admin, seconds=55) if args.under_load else None
        base = timezone.now() + timedelta(seconds=15)
        for i, node in enumerate(nodes):
            start = base + timedelta(milliseconds=50 * i)  # all within 15 seconds
            Reservation.objects.create(resource=node, owner=admin, start=start, end=start + timedelta(seconds=20))
        last_end = base + timedelta(milliseconds=50 * len(nodes), seconds=20)
        while timezone.now() < last_end + timedelta(seconds=3):  # beat: every second
            schedule_boundaries.delay()
            time.sleep(1)
        wait_delivered(2 * len(nodes), timeout=120)
        if load is not None:
            load_thread, result, load_server = load
            load_thread.join()
            load_server.terminate()
            load_server.wait(10)
            rps, p50, p99, bad = result[0]
            print(
                f"booking load meanwhile: wrk 16 connections, POST /api/reservations/ {rps:.1f} req/s, "
                f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, non-2xx {bad}"
            )
        rows = Reservation.objects.filter(resource__in=nodes).values_list(
            "start", "end", "started_event_at", "ended_event_at"
        )
        start_lag = [(s_at - s).total_seconds() * 1000 for s, e, s_at, e_at in rows]
        end_lag = [(e_at - e).total_seconds() * 1000 for s, e, s_at, e_at in rows]
        print(
            f"{len(nodes)} bookings starting within 15 s: started lag p50 {statistics.median(start_lag):.0f} ms "
            f"p99 {pct(start_lag, 0.99):.0f} ms max {max(start_lag):.0f} ms; ended lag p50 "
            f"{statistics.median(end_lag):.0f} ms p99 {pct(end_lag, 0.99):.0f} ms; "
            f"events fired: {Delivery.objects.count()} for {2 * len(nodes)} expected"
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        server.shutdown()
        connection.close()
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
