"""Using the time one booked: check in (types with a check-in window), check out early, extend.
A booking not checked in by its deadline is released by beat, once: the rest of its time is free
again, its owner told, `reservation.released` (reason `no_show`) sent, and access revoked through
`reservation.ended` if it had started."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import times
from common.events import snapshot
from common.exceptions import Conflict
from notifications.services import notify
from reservations import hooks, rules
from reservations.events import publish_booking
from reservations.models import Reservation, ReservationStatus
from reservations.services import free_the_rest, reservation_update
from resources.models import Resource


def deadline(resource: Resource, start: datetime) -> datetime | None:
    window = resource.resource_type.checkin_window
    return start + window if window else None


def prepare_booking(reservation: Reservation, *, actor, changed) -> None:
    """The check-in deadline follows the start (and the resource's type) until someone checks in."""
    if changed is None or ({"start", "resource"} & changed and reservation.checked_in_at is None):
        reservation.checkin_until = deadline(reservation.resource, reservation.start)


def opens_at(booking: Reservation) -> datetime:
    return booking.start - timedelta(minutes=settings.CHECKIN_EARLY_MINUTES)


def _locked(reservation: Reservation) -> Reservation:
    return (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("resource", "resource__site", "resource__resource_type", "owner")
        .get(pk=reservation.pk)
    )


@transaction.atomic
def reservation_check_in(*, actor, reservation: Reservation) -> Reservation:
    rules.require_can_change(actor=actor, reservation=reservation)
    booking = _locked(reservation)
    now = timezone.now()
    if booking.status != ReservationStatus.CONFIRMED or booking.released_at is not None:
        raise Conflict("Only a confirmed booking that was not released can be checked in.", code="not_checkable")
    if booking.checked_in_at is not None:
        return booking
    if booking.checkin_until is None:
        raise Conflict(f"{booking.resource.resource_type.name} bookings need no check-in.", code="not_checkable")
    zone = times.site_zone(booking.resource.site)
    if now < opens_at(booking):
        raise Conflict(f"Check-in opens at {times.at(opens_at(booking), zone)}.", code="too_early")
    if now >= booking.checkin_until:
        raise Conflict(
            f"Check-in closed at {times.at(booking.checkin_until, zone)}; the booking was released.", code="too_late"
        )
    before = snapshot(booking)
    booking.checked_in_at = now
    booking.save(update_fields=["checked_in_at", "updated"])
    publish_booking("reservation.checked_in", booking, actor=actor, before=before)
    return booking


@transaction.atomic
def reservation_check_out(*, actor, reservation: Reservation) -> Reservation:
    """Done early: the rest of the booking is free for others at once."""
    rules.require_can_change(actor=actor, reservation=reservation)
    booking = _locked(reservation)
    now = timezone.now()
    if booking.status != ReservationStatus.CONFIRMED or booking.released_at is not None:
        raise Conflict("Only a running confirmed booking can be checked out.", code="not_running")
    if not booking.start <= now < booking.end:
        raise Conflict(
            "This booking is not running; cancel it instead." if now < booking.start else "This booking is over.",
            code="not_running",
        )
    free_the_rest(booking, actor=actor, reason="checked_out", now=now)
    return booking


def release_due(*, now=None, limit: int = 500, pk: int | None = None) -> int:
    """Bookings not checked in by their deadline are released, each once (row lock and released_at
    decide), oldest deadline first, so a run after downtime catches up. With `pk`, that one booking
    only (the scheduler's task at its deadline)."""
    now = now or timezone.now()
    released = 0
    due = Reservation.objects.filter(
        status=ReservationStatus.CONFIRMED, checked_in_at__isnull=True, released_at__isnull=True, checkin_until__lte=now
    )
    if pk is not None:
        due = due.filter(pk=pk)
    for _ in range(limit):
        with transaction.atomic():
            booking = (
                due.select_for_update(skip_locked=True, of=("self",))
                .select_related("resource", "resource__site", "owner")
                .order_by("checkin_until")
                .first()
            )
            if booking is None:
                break
            free_the_rest(booking, actor=None, reason="no_show", now=max(timezone.now(), booking.checkin_until))
            notify(
                user=booking.owner,
                kind="reservation.released",
                title=f"Your booking of {booking.resource.name} was released: no check-in",
                body=f"Nobody checked in by {times.at(booking.checkin_until, times.user_zone(booking.owner))}; "
                "the rest of the time is free for others.",
                url=f"/reservations/{booking.pk}/",
            )
            released += 1
    return released


@transaction.atomic
def reservation_extend(*, actor, reservation: Reservation, end: datetime) -> Reservation:
    """A later end, when the time is free and every rule (length, quota, cleanup) allows it. Under
    the booking's row lock, so that a release at the same moment (no-show, idle reclaim) and the
    extension give one outcome."""
    rules.require_can_change(actor=actor, reservation=reservation)
    booking = _locked(reservation)
    if booking.released_at is not None:
        raise Conflict("This booking was released; book again instead.", code="released")
    if end <= booking.end:
        raise Conflict("An extension ends later than the booking does now.", code="not_later")
    return reservation_update(actor=actor, reservation=booking, end=end)


def check_in_on_arrival(booking: Reservation, *, at: datetime, reason: str) -> bool:
    """The holder arrived (the machine's agent saw them log in): a booking waiting for its check-in
    is checked in, by nobody, with the reason. Call it under the booking's row lock; the no-show
    release takes the same lock and skips a checked-in booking, so the two give one outcome."""
    if (
        booking.status != ReservationStatus.CONFIRMED
        or booking.released_at is not None
        or booking.checked_in_at is not None
        or booking.checkin_until is None
        or not opens_at(booking) <= at < booking.checkin_until
    ):
        return False
    before = snapshot(booking)
    booking.checked_in_at = at
    booking.save(update_fields=["checked_in_at", "updated"])
    publish_booking("reservation.checked_in", booking, actor=None, before=before, reason=reason)
    return True


def unchecked_bookings():
    return Reservation.objects.filter(
        status=ReservationStatus.CONFIRMED, checked_in_at__isnull=True, released_at__isnull=True
    )


NO_SHOW = hooks.Deadline(kind="no_show", field="checkin_until", pending=unchecked_bookings, run=release_due)
