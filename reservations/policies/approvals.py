"""Bookings of types that need approval: created `pending`, holding their slot (the exclusion
constraint counts them), until a site administrator approves or rejects them or they expire
(beat, every second). Each decision is taken under the booking's row lock, once."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import names, times
from common.events import snapshot
from common.exceptions import Conflict
from notifications.services import notify
from reservations import hooks
from reservations.events import publish_booking
from reservations.models import Reservation, ReservationStatus
from resources.models import Resource
from tenancy.access import can_admin_site, require_site_admin, site_administrators


def timeout_of(resource: Resource) -> timedelta:
    return resource.resource_type.approval_timeout or timedelta(hours=settings.APPROVAL_TIMEOUT_HOURS)


def needs_approval(*, actor, resource: Resource) -> bool:
    """Members' bookings of a type that needs approval wait for a site administrator; the
    administrators' own (and those they make for others) do not."""
    return resource.resource_type.requires_approval and not can_admin_site(actor, resource.site_id)


def prepare_booking(reservation: Reservation, *, actor, changed) -> None:
    """A new booking that needs approval is written pending, holding its slot until a decision."""
    if changed is None and needs_approval(actor=actor, resource=reservation.resource):
        reservation.status = ReservationStatus.PENDING
        reservation.pending_until = timezone.now() + timeout_of(reservation.resource)


def approvers_of(site_id: int):
    """Who decides: the site's administrators and the global administrators."""
    return site_administrators(site_id)


def bookings_created(bookings: list[Reservation], *, actor) -> None:
    """Each approver is told of new pending bookings, once per batch (a series is one)."""
    bookings = [b for b in bookings if b.status == ReservationStatus.PENDING]
    if not bookings:
        return
    first = bookings[0]
    many = f" and {len(bookings) - 1} more" if len(bookings) > 1 else ""
    who = names.person(first.owner)
    for approver in approvers_of(first.resource.site_id):
        notify(
            user=approver,
            kind="reservation.pending",
            title=f"{who} asks for {first.resource.name}",
            body=f"{times.booking_span(first, times.user_zone(approver))}{many}. Approve or reject it by "
            f"{times.at(first.pending_until, times.user_zone(approver))}.",
            url="/approvals/",
        )


def _locked(reservation: Reservation) -> tuple[Reservation, list[Reservation]]:
    """The booking, and every other pending booking of its lease: a lease is decided once, for all
    its machines. Locked in id order, so two people deciding one lease's bookings take turns."""
    ids = {reservation.pk}
    if reservation.lease_id is not None:
        ids |= set(
            Reservation.objects.filter(lease_id=reservation.lease_id, status=ReservationStatus.PENDING).values_list(
                "pk", flat=True
            )
        )
    together = list(
        Reservation.objects.select_for_update(of=("self",))
        .select_related("resource", "resource__site", "resource__resource_type", "owner")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    booking = next(b for b in together if b.pk == reservation.pk)
    return booking, [b for b in together if b.pk != booking.pk and b.status == ReservationStatus.PENDING]


def _require_pending(booking: Reservation, verb: str) -> None:
    if booking.status != ReservationStatus.PENDING:
        raise Conflict(
            f"This booking is {booking.get_status_display().lower()}; only a pending booking can be {verb}.",
            code="decided",
        )


@transaction.atomic
def reservation_approve(*, actor, reservation: Reservation) -> Reservation:
    """Approves the booking, and with it the rest of its lease."""
    require_site_admin(actor, reservation.resource.site_id, "approve its bookings")
    booking, others = _locked(reservation)
    _require_pending(booking, "approved")
    if booking.end <= timezone.now():
        raise Conflict("This booking's time is over; there is nothing left to approve.", code="finished")
    for each in (booking, *others):
        before = snapshot(each)
        each.status = ReservationStatus.CONFIRMED
        each.decided_at, each.decided_by = timezone.now(), actor
        each.save(update_fields=["status", "decided_at", "decided_by", "updated"])
        publish_booking("reservation.approved", each, actor=actor, before=before)
        _tell(each, "approved", "reservation.approved")
    return booking


@transaction.atomic
def reservation_reject(*, actor, reservation: Reservation, reason: str = "") -> Reservation:
    """By a site administrator, or (actor None) by the expiry; the slot is free again at once. The
    rest of its lease is rejected with it."""
    if actor is not None:
        require_site_admin(actor, reservation.resource.site_id, "reject its bookings")
    booking, others = _locked(reservation)
    _require_pending(booking, "rejected")
    for each in (booking, *others):
        before = snapshot(each)
        each.status = ReservationStatus.REJECTED
        each.decided_at, each.decided_by = timezone.now(), actor
        each.cancel_reason = reason[:500]
        each.save(update_fields=["status", "decided_at", "decided_by", "cancel_reason", "updated"])
        publish_booking("reservation.rejected", each, actor=actor, before=before, message=reason, expired=actor is None)
        hooks.freed(each.resource, each.start, each.end)
        _tell(each, "rejected", "reservation.rejected")
    return booking


def _tell(booking: Reservation, verb: str, kind: str) -> None:
    reason = f" Reason: {booking.cancel_reason}" if booking.cancel_reason else ""
    notify(
        user=booking.owner,
        kind=kind,
        title=f"Your booking of {booking.resource.name} was {verb}",
        body=f"{times.booking_span(booking, times.user_zone(booking.owner))}.{reason}",
        url=f"/reservations/{booking.pk}/",
    )


def expire_due(*, now=None, limit: int = 500, pk: int | None = None) -> int:
    """Rejects the pending bookings whose decision time has passed (each in its own transaction,
    skipping any a person is deciding at this moment); a run after downtime catches up. With `pk`,
    that one booking only (the scheduler's task at its deadline)."""
    now = now or timezone.now()
    expired = 0
    due = Reservation.objects.filter(status=ReservationStatus.PENDING, pending_until__lte=now)
    if pk is not None:
        due = due.filter(pk=pk)
    for _ in range(limit):
        with transaction.atomic():
            booking = due.select_for_update(skip_locked=True, of=("self",)).order_by("pending_until").first()
            if booking is None:
                break
            waited = times.at(booking.created, times.site_zone(booking.resource.site))
            reservation_reject(
                actor=None, reservation=booking, reason=f"Not approved in time (asked {waited}); expired."
            )
            expired += 1
    return expired


def pending_bookings():
    return Reservation.objects.filter(status=ReservationStatus.PENDING)


EXPIRY = hooks.Deadline(kind="expire", field="pending_until", pending=pending_bookings, run=expire_due)
