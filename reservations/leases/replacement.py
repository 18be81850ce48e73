"""Slurm's REPLACE_DOWN, for bookings. When a resource leaves service (maintenance, unavailable: from
the admin, the API, a page, a monitoring system's signed call, or a drain reaching its moment), each
booking on it that belongs to a lease, or opted in with `replace_if_down`, moves to a free resource
of the same type and site that matches the lease's (or the booking's) `where` filter, for the rest
of its time. An upcoming booking moves whole; a running one ends now on the failed machine and its
rest is booked on the new one. Both go through the core's services as the system, so the tree rule,
quotas, blackouts and approvals hold as for any booking; each booking in its own savepoint.

None free: the booking stays, marked `awaiting_replacement_since`; its owner and the site's
administrators are told, and `lease.degraded` (or `reservation.degraded`) is sent. Whenever time
frees on a bookable resource (the waitlist's path) or a resource comes back, the bookings awaiting
a machine of that site and type are tried again, oldest first."""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common import times
from common.exceptions import Conflict, PermissionDenied
from notifications.services import notify
from reservations.events import publish_booking
from reservations.models import HOLDING, Reservation, ReservationStatus
from reservations.services import free_the_rest, reservation_create, reservation_update
from resources.models import Resource, ResourceStatus
from tenancy.access import site_administrators

from . import search
from .models import Lease
from .services import lease_bookings, publish_lease

REFUSALS = (Conflict, ValidationError, PermissionDenied)


def replaceable(resource: Resource, *, after: datetime | None = None):
    """The bookings on `resource` still holding time after `after` (now) that move when it fails."""
    return (
        Reservation.objects.filter(resource=resource, status__in=HOLDING, end__gt=after or timezone.now())
        .filter(Q(lease__isnull=False) | Q(replace_if_down=True))
        .order_by("start", "pk")
    )


def resource_status_changed(*, actor, instance, before, after, cancel_future_bookings: bool = False, **_) -> None:
    """Subscribed to `resource.status_changed`, ahead of the owners' notice, in the same transaction."""
    if before.get("status") == after.get("status"):
        return
    if after.get("status") == ResourceStatus.ACTIVE:
        # Back in service: what waited on it keeps it; others of its kind may now find a machine.
        Reservation.objects.filter(resource=instance, awaiting_replacement_since__isnull=False).update(
            awaiting_replacement_since=None
        )
        retry_awaiting(site_id=instance.site_id, resource_type_id=instance.resource_type_id)
        return
    for booking_id in list(replaceable(instance).values_list("pk", flat=True)):
        # Asked to cancel what it held: what finds no machine is cancelled by the owners' notice next.
        replace(booking_id, tell_if_none=not cancel_future_bookings)


def why(resource: Resource) -> str:
    """Why bookings leave it: "dgx-01 is in maintenance", "dgx-01 leaves service at Fri 18:00 CET"."""
    if not resource.is_bookable:
        return f"{resource.name} is {resource.get_status_display().lower()}"
    leaving = times.at(resource.leaves_service_at, times.site_zone(resource.site))
    return f"{resource.name} leaves service at {leaving}"


def _must_leave(booking: Reservation, now: datetime) -> bool:
    """Its resource is out of service, or leaves service before it ends (and it has not started:
    a running booking's rest moves at the moment itself)."""
    leaving = booking.resource.leaves_service_at
    return not booking.resource.is_bookable or (leaving is not None and booking.end > leaving and booking.start > now)


def replace(booking_id: int, *, reason: str = "", tell_if_none: bool = True) -> Reservation | None:
    """Move one booking off its failed (or draining) resource; returns the booking now holding its
    time, or None (still where it was, awaiting a machine)."""
    with transaction.atomic():
        booking = _locked(booking_id)
        now = timezone.now()
        if booking is None or booking.end <= now or not _must_leave(booking, now):
            return None
        old = booking.resource
        reason = reason or why(old)
        for candidate in _candidates(booking):
            try:
                with transaction.atomic():
                    moved = _move(booking, candidate, now)
            except REFUSALS:
                booking = _locked(booking_id)  # the savepoint undid what the try wrote
                continue
            _announce(booking, moved, old, reason)
            return moved
        if tell_if_none and booking.awaiting_replacement_since is None:
            booking.awaiting_replacement_since = now
            booking.save(update_fields=["awaiting_replacement_since", "updated"])
            _degraded(booking, reason)
        return None


def retry_awaiting(*, site_id: int, resource_type_id: int) -> int:
    """Bookings of this site and type still awaiting a machine, tried again (oldest wait first);
    returns how many found one."""
    waiting = (
        Reservation.objects.filter(
            awaiting_replacement_since__isnull=False,
            status__in=HOLDING,
            end__gt=timezone.now(),
            resource__site_id=site_id,
        )
        .filter(
            Q(lease__resource_type_id=resource_type_id)
            | Q(lease__isnull=True, resource__resource_type_id=resource_type_id)
        )
        .order_by("awaiting_replacement_since", "pk")
    )
    found = 0
    for booking_id in list(waiting.values_list("pk", flat=True)):
        found += replace(booking_id) is not None
    return found


def freed(resource: Resource, start: datetime, end: datetime) -> None:
    """After time of a resource's tree was freed (the waitlist's hook): those awaiting a machine of
    its kind may take it. Time freed on a failed machine helps nobody."""
    if end > timezone.now() and resource.is_bookable:
        retry_awaiting(site_id=resource.site_id, resource_type_id=resource.resource_type_id)


def _locked(booking_id: int) -> Reservation | None:
    return (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("resource", "resource__site", "resource__resource_type", "owner", "lease")
        .filter(pk=booking_id, status__in=HOLDING)
        .first()
    )


def _candidates(booking: Reservation) -> list[Resource]:
    lease: Lease | None = booking.lease
    kind = lease.resource_type if lease else booking.resource.resource_type
    where = lease.where if lease else booking.replace_where
    taken = set()
    if lease is not None:  # a lease holds distinct machines
        taken = set(Reservation.objects.filter(lease=lease, status__in=HOLDING).values_list("resource_id", flat=True))
    pool = search.candidates(actor=booking.owner, site=booking.resource.site, resource_type=kind, where=where)
    return [r for r in pool if r.pk not in taken]


def _move(booking: Reservation, to: Resource, now: datetime) -> Reservation:
    """An upcoming (or pending) booking moves whole; a running one ends now here and its rest is a
    new booking there (so receivers revoke on the old machine and grant on the new one)."""
    if booking.start > now or booking.status != ReservationStatus.CONFIRMED:
        together = (
            []
            if booking.lease_id is None
            else list(
                Reservation.objects.filter(lease_id=booking.lease_id, status__in=HOLDING).values_list("pk", flat=True)
            )
        )
        moved = reservation_update(actor=None, reservation=booking, move_with=together, resource=to)
        if moved.awaiting_replacement_since is not None:
            moved.awaiting_replacement_since = None
            moved.save(update_fields=["awaiting_replacement_since"])
        return moved
    end = booking.end
    free_the_rest(booking, actor=None, reason="replaced", now=now)
    rest = reservation_create(
        actor=None,
        resource=to,
        start=now,
        end=end,
        owner=booking.owner,
        title=booking.title,
        description=booking.description,
        parameters=booking.parameters,
        lease=booking.lease,
    )
    rest.replace_if_down, rest.replace_where = booking.replace_if_down, booking.replace_where
    rest.checked_in_at = booking.checked_in_at  # checked in on the old machine: no new check-in needed
    rest.save(update_fields=["replace_if_down", "replace_where", "checked_in_at"])
    return rest


def _replaced(booking: Reservation, moved: Reservation, old: Resource, reason: str) -> dict:
    return {
        "from": {"id": old.pk, "name": old.name},
        "to": {"id": moved.resource_id, "name": moved.resource.name},
        "reason": reason,
        "previous_reservation_id": booking.pk,
        "at": timezone.now().astimezone(UTC).isoformat(),
    }


def _announce(booking: Reservation, moved: Reservation, old: Resource, reason: str) -> None:
    replaced = _replaced(booking, moved, old, reason)
    publish_booking(
        "reservation.replaced",
        moved,
        actor=None,
        audit_snapshot=False,
        message=f"{old.name} \u2192 {moved.resource.name}, {times.booking_span(moved)} ({reason})",
        replaced=replaced,
    )
    if moved.lease_id is not None:
        lease = Lease.objects.select_related("site", "resource_type", "owner").get(pk=moved.lease_id)
        publish_lease("lease.updated", lease, actor=None, message=f"{reason}: replaced", replaced=replaced)
    zone = times.user_zone(moved.owner)
    notify(
        user=moved.owner,
        kind="reservation.replaced",
        title=f"{reason}: your booking moved to {moved.resource.name}",
        body=f"{old.name} \u2192 {moved.resource.name}, {times.booking_span(moved, zone)}."
        + (f" Part of lease #{moved.lease_id}." if moved.lease_id else ""),
        url=f"/leases/{moved.lease_id}/" if moved.lease_id else f"/reservations/{moved.pk}/",
    )


def _degraded(booking: Reservation, reason: str) -> None:
    kind = booking.lease.resource_type.name if booking.lease_id else booking.resource.resource_type.name
    if booking.lease_id is not None:
        lease = booking.lease
        holding = [b for b in lease_bookings(lease) if b.status in HOLDING]
        now = timezone.now()
        usable = sum(not _must_leave(b, now) for b in holding)
        publish_lease(
            "lease.degraded",
            lease,
            actor=None,
            message=reason,
            degraded={"reason": reason, "usable": usable, "count": lease.count, "reservation_id": booking.pk},
        )
        title = f"{reason}: your lease has {usable} of {lease.count} usable, no free {kind} to replace it yet"
        url = f"/leases/{lease.pk}/"
    else:
        publish_booking("reservation.degraded", booking, actor=None, audit_snapshot=False, reason=reason)
        title = f"{reason}: no free {kind} to move your booking to yet"
        url = f"/reservations/{booking.pk}/"
    body = (
        f"{times.booking_span(booking, times.user_zone(booking.owner))}. It moves by itself as soon as a "
        f"matching {kind} is free."
    )
    for person in {booking.owner, *site_administrators(booking.resource.site_id)}:
        notify(
            user=person,
            kind="lease.degraded" if booking.lease_id else "reservation.degraded",
            title=title,
            body=body,
            url=url,
        )
