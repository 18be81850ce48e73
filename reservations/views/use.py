"""Buttons on a booking's page: check in, check out, extend."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from common.web.forms import run_service
from reservations import rules, selectors
from reservations.policies import checkin

EXTENSIONS = {"15": 15, "30": 30, "60": 60, "120": 120}


@login_required
@require_POST
def use(request, pk: int):
    booking = get_object_or_404(selectors.reservation_list(user=request.user), pk=pk)
    if not selectors.details_visible_to(request.user)(booking):
        raise Http404("No booking you may see here.")
    rules.require_can_change(actor=request.user, reservation=booking)
    action = request.POST.get("action")
    if action == "check_in":
        if run_service(request, lambda: checkin.reservation_check_in(actor=request.user, reservation=booking)):
            messages.success(request, "Checked in.")
    elif action == "check_out":
        if run_service(request, lambda: checkin.reservation_check_out(actor=request.user, reservation=booking)):
            messages.success(request, "Checked out: the rest of the time is free for others.")
    elif action == "extend" and request.POST.get("minutes") in EXTENSIONS:
        more = timedelta(minutes=EXTENSIONS[request.POST["minutes"]])
        extend = lambda: checkin.reservation_extend(actor=request.user, reservation=booking, end=booking.end + more)  # noqa: E731
        if run_service(request, extend):
            messages.success(request, f"Extended by {rules.human(more)}.")
    else:
        messages.error(request, "Unknown action.")
    return redirect("reservation-detail", pk=booking.pk)
