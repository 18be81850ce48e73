"""Joining and leaving the waitlist from the pages."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from common.web.forms import aware_moment, object_id, run_service
from reservations.policies import waitlist
from resources.selectors import visible_resources


def _moment(value: str, name: str):
    moment = aware_moment(value)
    if moment is None:
        raise ValidationError({name: "Give a date and time with its offset."})
    return moment


@login_required
@require_POST
def join(request):
    resource = get_object_or_404(visible_resources(user=request.user), pk=object_id(request.POST.get("resource")) or 0)
    start, end = _moment(request.POST.get("start"), "start"), _moment(request.POST.get("end"), "end")
    auto = request.POST.get("auto_book") == "on"
    try:
        parameters = json.loads(request.POST.get("parameters") or "{}")
    except ValueError:
        parameters = request.POST["parameters"]  # not JSON: the service says what it must be

    def call():
        return waitlist.join(
            actor=request.user,
            resource=resource,
            start=start,
            end=end,
            auto_book=auto,
            title=request.POST.get("title", "")[:200],
            parameters=parameters,
        )

    if run_service(request, call):
        messages.success(
            request,
            f"You wait for {resource.name}: "
            + ("it will be booked for you if it frees." if auto else "you will be told if it frees."),
        )
    return redirect("my-bookings")


@login_required
@require_POST
def leave(request, pk: int):
    entry = get_object_or_404(waitlist.waitlist_visible(user=request.user), pk=pk)
    if run_service(request, lambda: waitlist.leave(actor=request.user, entry=entry)):
        messages.success(request, f"You no longer wait for {entry.resource.name}.")
    return redirect("my-bookings")
