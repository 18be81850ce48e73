"""Reactions to changes in other apps, wired in ReservationsConfig.ready()."""

from common import times
from common.events import subscribe
from notifications.services import notify
from resources.models import ResourceStatus

from . import services


def resource_status_changed(*, actor, instance, before, after, cancel_future_bookings: bool = False, **_) -> None:
    """A resource leaving service keeps its future bookings and tells their owners, or, when the
    operator asked for it, cancels them (the owners are told either way)."""
    if after.get("status") == ResourceStatus.ACTIVE or before.get("status") == after.get("status"):
        return
    state = instance.get_status_display().lower()
    for booking in services.future_bookings_of(instance):
        when = times.booking_span(booking, times.user_zone(booking.owner))
        if cancel_future_bookings:
            services.reservation_cancel(actor=None, reservation=booking, reason=f"{instance.name} is {state}")
            notify(
                user=booking.owner,
                kind="reservation.cancelled",
                title=f"Your booking of {booking.resource.name} was cancelled: {instance.name} is {state}",
                body=f"{when}.",
                url=f"/reservations/{booking.pk}/",
            )
        else:
            notify(
                user=booking.owner,
                kind="resource.status_changed",
                title=f"{instance.name} is now {state}: check your booking of {booking.resource.name}",
                body=f"Your booking {when} is kept; it may not be usable.",
                url=f"/reservations/{booking.pk}/",
            )


subscribe("resource.status_changed", resource_status_changed)
