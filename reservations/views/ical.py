"""iCalendar feeds, opened by secret links (accounts.models.CalendarFeed): `/ical/feed.ics?key=cal_...`.
The key travels in the query string, which the access log leaves out (gunicorn.conf.py)."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.services import calendar_feed_open
from reservations import ical, selectors
from reservations.models import HOLDING
from resources.selectors import visible_resources


def _response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _own_bookings(user) -> HttpResponse:
    bookings = ical.window(selectors.reservation_list(user=user).filter(owner=user))
    return _response(ical.feed(f"Reservoir: {user.get_username()}", bookings, lambda b: True), "my-bookings.ics")


def _resource_calendar(user, pk: int) -> HttpResponse:
    # Visibility is checked at every fetch: a user who left the site loses the feed with it.
    resource = get_object_or_404(visible_resources(user=user), pk=pk)
    bookings = ical.window(selectors.reservation_list(user=user).filter(resource=resource, status__in=HOLDING))
    body = ical.feed(f"Reservoir: {resource.name}", bookings, selectors.details_visible_to(user))
    return _response(body, f"{resource.name}.ics")


def feed(request):
    link = calendar_feed_open(request.GET.get("key", ""))
    if link is None or link.legacy:
        raise Http404("Unknown or revoked calendar link.")
    return _resource_calendar(link.user, link.resource_id) if link.resource_id else _own_bookings(link.user)


def _legacy(token: str):
    link = calendar_feed_open(token)
    if link is None or not link.legacy:
        raise Http404("Unknown or revoked calendar link.")
    return link.user


def legacy_my_feed(request, token: str):
    return _own_bookings(_legacy(token))


def legacy_resource_feed(request, pk: int, token: str):
    return _resource_calendar(_legacy(token), pk)
