"""Drain: a resource leaves service at a set moment ("maintenance from Friday 18:00",
`Resource.leaves_service_at`). Time past it is closed like a blackout: nothing new is booked over
it and the free-time searches skip it. When the moment is set, the bookings that reach past it are
dealt with at once: a lease's (or an opted-in) booking that has not started moves whole to a
matching machine (or waits for one, told); a running one keeps running and its rest moves at the
moment, when the resource goes into maintenance (beat). Any other booking is cancelled if it starts
after the moment and cut to end at it if it straddles it; its owner is told either way."""

from datetime import datetime

from django.utils import timezone

from common import times
from common.exceptions import Conflict
from notifications.services import notify
from reservations import hooks
from reservations.models import HOLDING, Reservation
from reservations.services import reservation_cancel, reservation_update
from resources.models import Resource, ResourceStatus

from . import replacement


def check_booking(*, owner, resource: Resource, spans, exclude, changed) -> None:
    """A booking's time (new, moved or on another resource) must end by the resource's drain."""
    leaving = resource.leaves_service_at
    if leaving is None or not (changed is None or {"start", "end", "resource"} & changed):
        return
    if any(span.end > leaving for span in spans):
        raise Conflict(
            f"{replacement.why(resource)}: book it to end by then, or another {resource.resource_type.name}.",
            code="leaves_service",
            details={"leaves_service_at": leaving.isoformat()},
        )


def closed_time(resources, start: datetime, end: datetime) -> dict[int, list[hooks.Closure]]:
    """{resource id: [the time from its drain on]}, for the free-time searches and lease picks."""
    return {
        r.pk: [hooks.Closure(max(start, r.leaves_service_at), end, replacement.why(r))]
        if r.leaves_service_at is not None and r.leaves_service_at < end
        else []
        for r in resources
    }


def resource_updated(*, actor, instance, before, after, **_) -> None:
    """Subscribed to `resource.updated`: a drain set (or brought forward) deals with what reaches past it."""
    if before.get("leaves_service_at") == after.get("leaves_service_at") or instance.leaves_service_at is None:
        return
    if instance.status != ResourceStatus.ACTIVE:
        return  # out of service already: its bookings were dealt with when it left
    drain(instance)


def drain(resource: Resource) -> None:
    at, now = resource.leaves_service_at, timezone.now()
    reason = replacement.why(resource)
    reaching = (
        Reservation.objects.filter(resource=resource, status__in=HOLDING, end__gt=at)
        .select_related("resource", "resource__site", "resource__resource_type", "owner")
        .order_by("start", "pk")
    )
    for booking in list(reaching):
        if booking.lease_id is not None or booking.replace_if_down:
            if booking.start > now:
                replacement.replace(booking.pk, reason=reason)
            continue  # running: its rest moves at the moment, when the resource goes into maintenance
        zone = times.user_zone(booking.owner)
        if booking.start >= at:
            reservation_cancel(actor=None, reservation=booking, reason=reason)
            title = f"{reason}: your booking is cancelled"
        else:
            reservation_update(actor=None, reservation=booking, end=at)
            title = f"{reason}: your booking now ends then"
        notify(
            user=booking.owner,
            kind="resource.draining",
            title=title,
            body=f"{booking.resource.name}, {times.booking_span(booking, zone)}.",
            url=f"/reservations/{booking.pk}/",
        )
