"""Secret iCalendar links, one per feed: made on the pages that show the feed, listed and revoked
on the profile. A new link is shown once, on the page that answers its POST (never stored)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import selectors, services
from common.web.forms import object_id
from resources.selectors import visible_resources


def feed_url(request, secret: str) -> str:
    return request.build_absolute_uri(reverse("ical-feed")) + f"?key={secret}"


def _shown_once(request, feed, secret, *, reset=False):
    back = reverse("resource-calendar", args=[feed.resource_id]) if feed.resource_id else reverse("my-bookings")
    context = {"feed": feed, "url": feed_url(request, secret), "back": back, "reset": reset}
    return render(request, "accounts/calendar_link.html", context)


@login_required
@require_POST
def calendar_link_new(request):
    resource = None
    if request.POST.get("resource"):
        resource_id = object_id(request.POST["resource"])
        resource = get_object_or_404(visible_resources(user=request.user), pk=resource_id or 0)
    feed, secret = services.calendar_feed_create(actor=request.user, user=request.user, resource=resource)
    return _shown_once(request, feed, secret)


@login_required
@require_POST
def calendar_links_reset(request):
    feed, secret = services.calendar_feeds_reset(actor=request.user, user=request.user)
    return _shown_once(request, feed, secret, reset=True)


@login_required
@require_POST
def calendar_link_revoke(request, pk: int):
    feed = get_object_or_404(selectors.calendar_feed_list(user=request.user), pk=pk)
    services.calendar_feed_revoke(actor=request.user, feed=feed)
    messages.success(request, f"Calendar link {feed.prefix}… for {feed.title} revoked.")
    return redirect("profile")
