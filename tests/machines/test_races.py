"""The policies racing the people and the clock, on real connections: each pair gives one outcome."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.exceptions import Conflict
from machines import services
from machines.models import BookingUsage, MachineToken, UsagePolicy
from machines.services.usage import Reading
from reservations.models import Reservation
from reservations.policies.checkin import release_due, reservation_extend
from tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 6


def reading(*, logged_in=(), at=None) -> Reading:
    return Reading(
        taken_at=at or timezone.now(),
        interval=timedelta(minutes=1),
        logged_in=list(logged_in),
        shared_account=None,
        load=0.0,
        gpus=[{"index": 0, "utilization": 0, "memory_used": 0, "memory_total": 1}],
        foreign=[],
    )


@pytest.fixture
def token(site_admin, machine):
    token, _ = services.machine_token_create(actor=site_admin, resource=machine["server"], name="dgx-01")
    return MachineToken.objects.select_related("resource__resource_type", "resource__site").get(pk=token.pk)


def test_idle_reclaim_racing_an_extension_gives_one_outcome(token, machine, member, booked):
    UsagePolicy.objects.create(
        resource_type=machine["server"].resource_type, idle_reclaim=True, idle_minutes=10, idle_grace_minutes=5
    )
    outcomes = set()
    for _ in range(ROUNDS):
        booking = booked(machine["server"], member, -60, 120)
        # Warned six minutes ago, idle since twenty: the next idle sample gives it back.
        now = timezone.now()
        BookingUsage.objects.create(
            reservation=booking, idle_since=now - timedelta(minutes=20), idle_warned_at=now - timedelta(minutes=6),
            idle_warned_end=booking.end,
        )  # fmt: skip
        new_end = booking.end + timedelta(minutes=30)
        reclaim, extend = race(
            [
                lambda: services.usage_record(token=token, reading=reading()),
                lambda b=booking, e=new_end: reservation_extend(actor=member, reservation=b, end=e),
            ]
        )
        assert not isinstance(reclaim, Exception), reclaim
        final = Reservation.objects.get(pk=booking.pk)
        if final.released_at is not None:  # the reclaim went first: the extension was refused
            assert final.release_reason == "idle"
            assert isinstance(extend, Conflict) and extend.code == "released"
            outcomes.add("reclaimed")
        else:  # the extension went first: the booking stands, with its new end, and the clock restarts
            assert not isinstance(extend, Exception), extend
            assert final.end == new_end
            assert BookingUsage.objects.get(reservation=booking).idle_warned_at is None
            outcomes.add("extended")
        Reservation.objects.filter(pk=booking.pk).update(status="cancelled")
    assert outcomes  # every round gave exactly one of the two


def test_automatic_check_in_racing_the_no_show_release_gives_one_outcome(token, machine, member, booked):
    kind = machine["server"].resource_type
    kind.checkin_window = timedelta(minutes=15)
    kind.save()
    UsagePolicy.objects.create(resource_type=kind, auto_checkin=True)
    for _ in range(ROUNDS):
        booking = booked(machine["server"], member, -16, 60)
        # The deadline has just passed, and the agent saw the login a second before it.
        deadline = timezone.now() - timedelta(seconds=1)
        Reservation.objects.filter(pk=booking.pk).update(start=deadline - timedelta(minutes=15), checkin_until=deadline)
        Reservation.objects.filter(pk=booking.pk).update(end=deadline + timedelta(minutes=60))
        seen = reading(logged_in=[member.username], at=deadline - timedelta(seconds=1))
        checked, released = race(
            [lambda s=seen: services.usage_record(token=token, reading=s), lambda b=booking: release_due(pk=b.pk)]
        )
        assert not isinstance(checked, Exception) and not isinstance(released, Exception), (checked, released)
        final = Reservation.objects.get(pk=booking.pk)
        assert (final.checked_in_at is None) != (final.released_at is None), "exactly one of the two"
        assert released == (1 if final.released_at else 0)
        Reservation.objects.filter(pk=booking.pk).update(status="cancelled")
