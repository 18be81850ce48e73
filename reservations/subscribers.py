"""Reactions to changes in other apps, subscribed in ReservationsConfig.ready()."""

from collections import defaultdict

from common import times
from notifications.services import notify
from resources.models import ResourceStatus

from . import services


def _listed(bookings) -> str:
    return "\n".join(
        f"- {b.resource.name}: {times.booking_span(b, times.user_zone(b.owner))}{f' ({b.title})' if b.title else ''}"
        for b in bookings
    )


def resource_status_changed(*, actor, instance, before, after, cancel_future_bookings: bool = False, **_) -> None:
    """A resource leaving service keeps its future bookings, or cancels them when the operator asked
    for it; coming back, it says so. Each owner gets one notice per change, listing their bookings."""
    if before.get("status") == after.get("status"):
        return
    by_owner = defaultdict(list)
    for booking in services.future_bookings_of(instance):
        if booking.awaiting_replacement_since is None or cancel_future_bookings:  # else told already
            by_owner[booking.owner].append(booking)
    state = instance.get_status_display().lower()
    back = after.get("status") == ResourceStatus.ACTIVE
    for owner, bookings in by_owner.items():
        count = f"{len(bookings)} booking{'s' if len(bookings) > 1 else ''}"
        if back:
            title, kind = f"{instance.name} is back in service: your {count} can go ahead", "resource.status_changed"
            body = _listed(bookings)
        elif cancel_future_bookings:
            for booking in bookings:
                services.reservation_cancel(actor=None, reservation=booking, reason=f"{instance.name} is {state}")
            title, kind = f"{instance.name} is {state}: your {count} cancelled", "reservation.cancelled"
            body = _listed(bookings)
        else:
            title, kind = f"{instance.name} is now {state}: check your {count}", "resource.status_changed"
            body = f"Kept, but {instance.name} may not be usable:\n{_listed(bookings)}"
        url = f"/reservations/{bookings[0].pk}/" if len(bookings) == 1 else "/reservations/mine/"
        notify(user=owner, kind=kind, title=title, body=body, url=url)
