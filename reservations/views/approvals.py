"""The approvals queue: pending bookings of the sites a site administrator runs, decided one by one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from common import names
from common.errors import safe_next
from common.web.forms import object_id, run_service
from reservations import selectors
from reservations.models import ReservationStatus
from reservations.policies import approvals
from tenancy.access import require_operator


@login_required
def queue(request):
    require_operator(request.user, "The approvals queue")
    pending = (
        selectors.reservation_list_administered(user=request.user)
        .filter(status=ReservationStatus.PENDING)
        .select_related("resource", "resource__site", "resource__resource_type", "owner", "series")
        .order_by("pending_until", "pk")
    )
    if request.method == "POST":
        booking_id = object_id(request.POST.get("booking"))
        booking = get_object_or_404(selectors.reservation_list_administered(user=request.user), pk=booking_id or 0)
        reason = request.POST.get("reason", "").strip()[:500]
        if request.POST.get("decision") == "approve":
            done = run_service(request, lambda: approvals.reservation_approve(actor=request.user, reservation=booking))
            verb = "approved"
        else:
            done = run_service(
                request, lambda: approvals.reservation_reject(actor=request.user, reservation=booking, reason=reason)
            )
            verb = "rejected"
        if done:
            messages.success(request, f"Booking of {booking.resource.name} by {names.person(booking.owner)} {verb}.")
        return redirect(safe_next(request, request.POST.get("next")) or "approvals")
    return render(request, "reservations/approvals.html", {"pending": pending[:500]})
