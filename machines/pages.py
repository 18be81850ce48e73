"""What the machines app adds to the booking core's pages (through reservations.hooks): the use of a
booking on its page, who holds a machine now and its live use on the resource's page, and the
timeline's colours by use."""

from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from common import names
from reservations.models import Reservation, ReservationStatus
from reservations.selectors import details_visible_to
from resources.tree import resource_ancestor_ids, resource_descendant_ids

from . import selectors
from .models import BookingUsage


def _related(resource_id: int) -> set[int]:
    return {resource_id, *resource_ancestor_ids(resource_id), *resource_descendant_ids(resource_id)}


def booking_section(request, booking: Reservation) -> str:
    usage = selectors.usage_of(booking)
    if usage is None and not selectors.has_agent_among(_related(booking.resource_id)):
        return ""
    return render_to_string(
        "machines/_booking_usage.html", {"booking": booking, "usage": usage, "user": request.user}, request=request
    )


def resource_section(request, resource) -> str:
    if not selectors.has_agent(resource):
        return ""
    now = timezone.now()
    holding = (
        Reservation.objects.filter(
            resource_id__in=_related(resource.pk), status=ReservationStatus.CONFIRMED, start__lte=now, end__gt=now
        )
        .select_related("owner", "resource__site")
        .order_by("start")
    )
    visible = details_visible_to(request.user)
    holders = [
        {"booking": b, "who": names.person(b.owner) if visible(b) else "", "linked": visible(b)} for b in holding
    ]
    context = {
        "resource": resource,
        "sample": selectors.latest_sample(resource),
        "last_seen": selectors.last_report(resource),
        "holders": holders,
        "stale_minutes": settings.AGENT_STALE_MINUTES,
        "user": request.user,
    }
    return render_to_string("machines/_resource_now.html", context, request=request)


def bar_marks(bookings) -> dict[int, tuple[str, str]]:
    fresh = timezone.now() - timedelta(minutes=settings.AGENT_STALE_MINUTES)
    usages = {u.reservation_id: u for u in BookingUsage.objects.filter(reservation__in=[b.pk for b in bookings])}
    marks = {}
    for booking in bookings:
        usage = usages.get(booking.pk)
        if usage is None or (usage.last_activity_at is None and usage.idle_since is None):
            marks[booking.pk] = ("unknown", "no report from its machine")
        elif usage.last_activity_at and usage.last_activity_at >= fresh and usage.idle_since is None:
            marks[booking.pk] = ("active", "in use")
        elif usage.idle_since is not None:
            minutes = max(1, round((timezone.now() - usage.idle_since).total_seconds() / 60))
            marks[booking.pk] = ("idle", f"idle for {minutes} min")
        else:
            marks[booking.pk] = ("unknown", "no recent report from its machine")
    return marks
