"""Events reach a real HTTP receiver through a real Celery worker on the real broker."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import services as bookings
from reservations.models import Reservation
from reservations.tasks import fire_boundary, schedule_boundaries
from resources import services as resources
from tests.processes import purge_queues
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, Event
from webhooks.tasks import sweep
from webhooks.transport import signing

from .support import book, hook, soon, wait


def test_a_booking_is_delivered_signed_with_everything_needed(scene, receiver, worker):
    _, secret = hook(scene, f"{receiver.url}/ok", legacy_signature=True, headers={"X-Api-Key": "k1"})
    booking = book(scene, scene["gpu"])
    request = receiver.wait_for(1, "/ok")[0]
    signing.verify(secret, request["headers"], request["body"])
    event = json.loads(request["body"])
    assert event["type"] == "reservation.created"
    assert event["id"] == request["headers"]["webhook-id"]
    data = event["data"]
    assert data["reservation"]["id"] == booking.pk
    assert data["resource"]["name"] == "dgx-01-gpu0" and data["resource"]["parent"]["name"] == "dgx-01"
    assert data["site"]["slug"] == "berlin" and data["owner"]["username"] == "siteadmin"
    assert request["headers"]["X-Api-Key"] == "k1"
    assert request["headers"]["X-Webhook-Signature"] == signing.legacy_signature(secret, request["body"])
    wait(lambda: Delivery.objects.get().status == DeliveryStatus.SUCCEEDED)
    attempt = Delivery.objects.get().attempt_log.get()
    assert attempt.response_status == 200 and attempt.duration_ms is not None
    assert "X-Api-Key" not in attempt.request_headers  # custom headers may hold secrets


def test_retries_follow_the_schedule_then_succeed(scene, receiver, worker):
    hook(scene, f"{receiver.url}/flaky/2")
    book(scene, scene["gpu"])
    calls = receiver.wait_for(3, "/flaky/2")
    assert len({c["headers"]["webhook-id"] for c in calls}) == 1  # the same event id every time
    gaps = [calls[i + 1]["at"] - calls[i]["at"] for i in range(2)]
    assert gaps[0] >= 0.3 * 0.8 and gaps[1] >= 0.6 * 0.8  # WEBHOOK_RETRY_SCHEDULE=0.3,0.6,... in the worker
    wait(lambda: Delivery.objects.get().status == DeliveryStatus.SUCCEEDED)
    attempts = list(Delivery.objects.get().attempt_log.order_by("number"))
    assert [a.response_status for a in attempts] == [503, 503, 200]
    assert attempts[0].next_retry_at is not None and attempts[2].next_retry_at is None


def test_a_client_error_is_not_retried_and_gone_disables(scene, receiver, worker):
    bad, _ = hook(scene, f"{receiver.url}/bad", name="bad")
    gone, _ = hook(scene, f"{receiver.url}/gone", name="gone")
    book(scene, scene["gpu"])
    wait(lambda: Delivery.objects.filter(status=DeliveryStatus.FAILED).count() == 2)
    # FAILED is final (neither the worker nor the sweeper sends it again): these counts can no longer grow.
    assert len(receiver.received("/bad")) == 1 and len(receiver.received("/gone")) == 1
    gone.refresh_from_db()
    bad.refresh_from_db()
    assert not gone.enabled and "410" in gone.disabled_reason
    assert bad.enabled and bad.consecutive_failures == 1
    book(scene, scene["gpu"], start=soon(3))
    assert Delivery.objects.filter(webhook=gone).count() == 1  # a disabled webhook gets nothing more
    receiver.wait_for(2, "/bad")
    assert len(receiver.received("/gone")) == 1


def test_scope_and_event_filters_pick_exactly_the_right_webhooks(scene, receiver, worker):
    hook(scene, f"{receiver.url}/all", name="all")
    hook(scene, f"{receiver.url}/tree", name="tree", scope="resource_tree", resource=scene["server"])
    hook(scene, f"{receiver.url}/server-only", name="server-only", scope="resource", resource=scene["server"])
    hook(scene, f"{receiver.url}/gpus", name="gpus", scope="resource_type", resource_type=scene["gpu_type"])
    hook(scene, f"{receiver.url}/cancels", name="cancels", event_types=["reservation.cancelled"])
    booking = book(scene, scene["gpu"])
    book(scene, scene["other"])
    bookings.reservation_cancel(actor=scene["admin"], reservation=booking)
    receiver.wait_for(3, "/all")
    receiver.wait_for(2, "/tree")
    receiver.wait_for(1, "/cancels")
    # Every delivery the outbox holds has been answered: nothing else can arrive.
    wait(lambda: not Delivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).exists())
    assert Delivery.objects.count() == 8

    def types(path):
        return sorted(json.loads(r["body"])["type"] for r in receiver.received(path))

    assert types("/all") == ["reservation.cancelled", "reservation.created", "reservation.created"]
    assert types("/tree") == ["reservation.cancelled", "reservation.created"]  # the GPU is in dgx-01's tree
    assert types("/server-only") == []  # only bookings of dgx-01 itself
    assert types("/gpus") == ["reservation.cancelled", "reservation.created"]
    assert types("/cancels") == ["reservation.cancelled"]


def test_resource_events_and_test_event(scene, receiver, worker):
    webhook, _ = hook(scene, f"{receiver.url}/ok")
    resources.resource_status_set(actor=scene["admin"], resource=scene["other"], status="maintenance")
    services.webhook_send_test(actor=scene["admin"], webhook=webhook)
    received = receiver.wait_for(2, "/ok")
    assert sorted(json.loads(r["body"])["type"] for r in received) == ["resource.status_changed", "webhook.test"]


@pytest.mark.drill
def test_a_killed_worker_does_not_lose_the_delivery_and_the_receiver_sees_one_event(scene, receiver, worker):
    webhook, _ = hook(scene, f"{receiver.url}/slow/3", timeout_seconds=2)
    book(scene, scene["gpu"])
    receiver.wait_for(1, "/slow/3")
    worker.kill()  # mid-request: the delivery is left "delivering" with a lease
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERING
    services.webhook_update(actor=scene["admin"], webhook=webhook, url=f"{receiver.url}/ok")
    worker.start()
    wait(lambda: sweep() >= 0 and Delivery.objects.get().status == DeliveryStatus.SUCCEEDED, timeout=30)
    ids = {r["headers"]["webhook-id"] for r in receiver.received()}
    assert len(ids) == 1  # a receiver that de-duplicates by webhook-id sees it once


@pytest.mark.drill
def test_events_made_while_the_broker_is_unreachable_are_sent_by_the_sweeper(scene, receiver, worker, settings):
    hook(scene, f"{receiver.url}/ok")
    worker.stop()
    for hours in (1, 2, 3):
        book(scene, scene["gpu"], start=soon(hours))  # enqueued, but nobody is consuming
    purge_queues()  # what the broker held is lost (a broker restart without persistence)
    worker.start()
    wait(lambda: sweep() >= 0 and Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 3, timeout=30)
    assert len({r["headers"]["webhook-id"] for r in receiver.received()}) == 3


@pytest.mark.drill
def test_start_and_end_events_fire_once_on_time_and_in_order(scene, receiver, worker):
    hook(scene, f"{receiver.url}/ok", event_types=["reservation.started", "reservation.ended"])
    start = timezone.now() + timedelta(seconds=2)
    created = [
        bookings.reservation_create(actor=scene["admin"], resource=r, start=start, end=start + timedelta(seconds=2))
        for r in (scene["gpu"], scene["other"])
    ]
    ended_count = Event.objects.filter(type="reservation.ended").count

    def two_beats_until_ended() -> bool:  # two beats at once, as after a careless restart
        schedule_boundaries()
        schedule_boundaries()
        return ended_count() == 2

    wait(two_beats_until_ended, timeout=20, interval=0.5)
    started = Event.objects.filter(type="reservation.started")
    ended = Event.objects.filter(type="reservation.ended")
    assert started.count() == 2 and ended.count() == 2  # exactly once each
    for booking in created:
        booking.refresh_from_db()
        assert booking.started_event_at < booking.ended_event_at
        lag = (booking.started_event_at - booking.start).total_seconds()
        assert 0 <= lag < 1, lag
    receiver.wait_for(4, "/ok")


@pytest.mark.drill
def test_one_beat_and_an_early_wake_still_fire_on_time(scene, receiver, worker):
    """The beat hands a coming start over once; a task woken before the moment hands itself over
    again for the moment instead of waiting for beats that will not send it again."""
    hook(scene, f"{receiver.url}/ok", event_types=["reservation.started"])
    start = timezone.now() + timedelta(seconds=2)
    booking = bookings.reservation_create(
        actor=scene["admin"], resource=scene["gpu"], start=start, end=start + timedelta(hours=1)
    )
    assert schedule_boundaries() == 1 and schedule_boundaries() == 0
    assert fire_boundary(booking.pk, "started") is False  # early: nothing now, again at the moment
    receiver.wait_for(1, "/ok")
    booking.refresh_from_db()
    assert 0 <= (booking.started_event_at - booking.start).total_seconds() < 1
    assert Event.objects.filter(type="reservation.started").count() == 1


@pytest.mark.drill
def test_missed_events_fire_late_in_order_after_downtime(scene, receiver, worker):
    hook(scene, f"{receiver.url}/ok", event_types=["reservation.started", "reservation.ended"])
    past = timezone.now() - timedelta(hours=2)
    booking = bookings.reservation_create(
        actor=scene["admin"], resource=scene["gpu"], start=past, end=past + timedelta(hours=1)
    )  # an administrator may book in the past: it started and ended while nothing ran
    schedule_boundaries()
    received = receiver.wait_for(2, "/ok")
    events = [json.loads(r["body"]) for r in received]
    assert [e["type"] for e in sorted(events, key=lambda e: e["timestamp"])] == [
        "reservation.started",
        "reservation.ended",
    ]
    assert all(e["data"]["reservation"]["late"] for e in events)
    booking.refresh_from_db()
    assert booking.started_event_at <= booking.ended_event_at


def test_cancelling_a_running_booking_ends_it_now(scene, receiver, worker):
    hook(scene, f"{receiver.url}/ok", event_types=["reservation.ended"])
    start = timezone.now() + timedelta(seconds=1)
    booking = bookings.reservation_create(
        actor=scene["admin"], resource=scene["gpu"], start=start, end=start + timedelta(hours=2)
    )
    wait(
        lambda: schedule_boundaries() >= 0 and Reservation.objects.get(pk=booking.pk).started_event_at,
        timeout=10,
        interval=0.3,
    )
    bookings.reservation_cancel(actor=scene["admin"], reservation=Reservation.objects.get(pk=booking.pk))
    ended = json.loads(receiver.wait_for(1, "/ok")[0]["body"])
    assert ended["type"] == "reservation.ended" and ended["data"]["reservation"]["ended_by_cancellation"]
    assert fire_boundary(booking.pk, "ended") is False  # what a later beat would do: nothing
    assert Event.objects.filter(type="reservation.ended").count() == 1


def test_retry_after_is_honoured(scene, receiver, worker):
    hook(scene, f"{receiver.url}/retry-after/1")
    book(scene, scene["gpu"])
    calls = receiver.wait_for(2, "/retry-after/1")
    assert calls[1]["at"] - calls[0]["at"] >= 0.95  # the schedule says 0.3 s (+-20%); the receiver asked for 1


def test_repeated_failures_disable_the_webhook_and_tell_its_administrators(scene, receiver, worker):
    from notifications.models import Notification

    webhook, _ = hook(scene, f"{receiver.url}/bad")
    for hours in (1, 2, 3):
        book(scene, scene["gpu"], start=soon(hours))
    wait(lambda: Delivery.objects.filter(status=DeliveryStatus.FAILED).count() == 3)
    wait(lambda: not type(webhook).objects.get(pk=webhook.pk).enabled)
    webhook.refresh_from_db()
    assert "3 events in a row" in webhook.disabled_reason  # WEBHOOK_DISABLE_AFTER_FAILED_EVENTS=3 in the worker
    assert Notification.objects.filter(user=scene["admin"], kind="webhook.disabled").exists()


def test_addresses_are_checked_again_at_send_time(scene, receiver, worker_factory):
    hook(scene, f"{receiver.url}/ok")  # allowed when saved (loopback is allowed in development)
    worker_factory(WEBHOOK_ALLOWED_NETWORKS="192.0.2.0/24")  # ... but no longer where the worker runs
    book(scene, scene["gpu"])
    wait(lambda: Delivery.objects.filter(status=DeliveryStatus.FAILED).exists())
    delivery = Delivery.objects.get()
    assert "Refused by outbound safety" in delivery.last_error
    assert receiver.received() == []


def test_the_worker_keeps_its_database_connection_and_survives_losing_it(scene, receiver, worker):
    """Tasks reuse the worker's PostgreSQL connection (Celery would open one per task); when the
    server drops it (a restart, a failover), the next task reconnects instead of failing."""
    from django.db import connection

    hook(scene, f"{receiver.url}/ok")
    book(scene, scene["gpu"])
    receiver.wait_for(1, "/ok")

    def worker_backends() -> set[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            )
            return {row[0] for row in cursor.fetchall()}

    before = worker_backends()
    book(scene, scene["gpu"], start=soon(hours=3))
    receiver.wait_for(2, "/ok")
    assert worker_backends() & before, "a new connection for each task"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [list(worker_backends())])
    book(scene, scene["gpu"], start=soon(hours=6))
    receiver.wait_for(3, "/ok")
    wait(lambda: Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 3)
