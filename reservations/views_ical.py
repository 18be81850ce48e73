from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.models import Profile
from resources.selectors import visible_resources

from . import ical, selectors


def _user_for(token: str):
    profile = Profile.objects.select_related("user").filter(calendar_token=token, user__is_active=True).first()
    if profile is None:
        raise Http404("Unknown calendar link.")
    return profile.user


def _response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def my_feed(request, token: str):
    user = _user_for(token)
    bookings = ical.window(selectors.reservation_list(user=user).filter(owner=user))
    return _response(ical.feed(f"Reservoir: {user.get_username()}", bookings, lambda b: True), "my-bookings.ics")


def resource_feed(request, pk: int, token: str):
    user = _user_for(token)
    resource = get_object_or_404(visible_resources(user=user), pk=pk)
    bookings = ical.window(selectors.reservation_list(user=user).filter(resource=resource, status="confirmed"))
    body = ical.feed(f"Reservoir: {resource.name}", bookings, selectors.details_visible_to(user))
    return _response(body, f"{resource.name}.ics")
