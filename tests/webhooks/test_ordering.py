"""One booking's events reach one webhook in the order they happened, also when they are caught up
at once after downtime and when the first one needs retries; different bookings go out in parallel."""

import itertools
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import services as bookings
from reservations.tasks import schedule_boundaries
from webhooks.models import Delivery

from .support import hook, wait

pytestmark = pytest.mark.drill

ORDER = ["reservation.created", "reservation.started", "reservation.ended"]


def past_booking(scene, resource, hours_ago=2):
    """Started and ended while nothing ran: both events are due at once."""
    start = timezone.now() - timedelta(hours=hours_ago)
    return bookings.reservation_create(
        actor=scene["admin"], resource=resource, start=start, end=start + timedelta(hours=1)
    )


def arrivals(receiver, path):
    """(booking id, event type, arrival time) in the order the receiver saw the requests."""
    seen = []
    for request in sorted(receiver.received(), key=lambda r: r["at"]):
        if request["path"] != path:
            continue
        event = json.loads(request["body"])
        seen.append((event["data"]["reservation"]["id"], event["type"], request["at"]))
    return seen


def test_caught_up_events_arrive_in_order_per_booking_and_in_parallel_across_bookings(scene, receiver, worker):
    hook(scene, f"{receiver.url}/slow/1", timeout_seconds=5)  # every request takes a second
    made = [past_booking(scene, resource) for resource in (scene["gpu"], scene["other"])]
    schedule_boundaries()
    wait(lambda: len(arrivals(receiver, "/slow/1")) == 6, timeout=40)
    seen = arrivals(receiver, "/slow/1")
    for booking in made:
        mine = [(kind, at) for pk, kind, at in seen if pk == booking.pk]
        assert [kind for kind, _ in mine] == ORDER
        # Each waited for the one before to be answered (the receiver takes a second).
        assert all(later - earlier >= 0.9 for (_, earlier), (_, later) in itertools.pairwise(mine))
    # The two bookings did not wait for each other: 6 one-second requests in about 3 seconds, not 6.
    assert seen[-1][2] - seen[0][2] < 5


def test_a_retried_event_still_comes_before_the_next_one(scene, receiver, worker):
    hook(scene, f"{receiver.url}/flaky/2", timeout_seconds=5)  # the first two requests fail
    booking = past_booking(scene, scene["gpu"])
    schedule_boundaries()
    wait(lambda: Delivery.objects.filter(status="succeeded").count() == 3, timeout=40)
    answered = [kind for pk, kind, _ in arrivals(receiver, "/flaky/2") if pk == booking.pk]
    # created failed twice and was retried; started and ended waited for it.
    assert answered == ["reservation.created", "reservation.created", *ORDER]
