"""iCalendar feeds (RFC 5545, the `icalendar` package) that Google Calendar, Outlook and
Thunderbird can subscribe to: a secret URL per user, no session needed."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from common import names, times

from .models import ReservationStatus

ICAL_STATUS = {ReservationStatus.CONFIRMED: "CONFIRMED", ReservationStatus.PENDING: "TENTATIVE"}
FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=365)


def feed(name: str, bookings, details_visible) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Reservoir//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-published-ttl", "PT15M")
    host = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0]
    for booking in bookings:
        visible = details_visible(booking)
        event = Event()
        event.add("uid", f"reservation-{booking.pk}@{host}")
        event.add("dtstamp", booking.updated)
        event.add("last-modified", booking.updated)
        # On the site's clock (TZID), as everywhere else; calendar apps convert for their users.
        where = times.site_zone(booking.resource.site)
        event.add("dtstart", booking.start.astimezone(where))
        event.add("dtend", booking.end.astimezone(where))
        title = booking.title if visible and booking.title else "Booked"
        event.add("summary", f"{title}: {booking.resource.name}")
        event.add("location", f"{booking.resource.site.name} {booking.resource.location}".strip())
        lines = [times.booking_span(booking)]
        if visible:
            lines += [booking.description, f"Owner: {names.person(booking.owner)}"]
        event.add("description", "\n".join(line for line in lines if line))
        event.add("url", f"{settings.SITE_URL.rstrip('/')}/reservations/{booking.pk}/")
        event.add("status", ICAL_STATUS.get(booking.status, "CANCELLED"))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def window(queryset):
    now = timezone.now()
    return (
        queryset.filter(end__gt=now - FEED_PAST, start__lt=now + FEED_FUTURE)
        .select_related("resource", "resource__site", "owner")
        .order_by("start")
    )
