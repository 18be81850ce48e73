"""Redis stops while bookings are made: nothing is lost, nothing arrives twice."""

import os
import statistics
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import services as bookings
from tests.processes import reset_producer_pool
from webhooks.models import Delivery, DeliveryStatus
from webhooks.tasks import sweep

from .support import hook

pytestmark = pytest.mark.drill


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
