"""Site administrators decide the corrections members asked for: approve, or reject with a reason
the asker is told (through the event the service sends)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from common.web.forms import object_id, run_service
from tenancy.access import administered_site_ids, require_operator

from .. import selectors, services
from ..models import AdjustmentStatus


def _waiting(user):
    found = selectors.adjustment_list(user=user).filter(status=AdjustmentStatus.REQUESTED)
    sites = administered_site_ids(user)
    if sites is not None:
        found = found.filter(charge__site_id__in=sites)
    return found.select_related("charge__project", "charge__owner", "charge__site").order_by("requested_at", "pk")


@login_required
def correction_queue(request):
    require_operator(request.user, "Corrections")
    if request.method == "POST":
        adjustment = get_object_or_404(_waiting(request.user), pk=object_id(request.POST.get("adjustment")) or 0)
        approve = request.POST.get("decision") == "approve"
        reason = request.POST.get("reason", "").strip()
        if not approve and not reason:
            messages.error(request, "Say why the correction is rejected; the member who asked is told.")
        elif run_service(
            request,
            lambda: services.adjustment_decide(
                actor=request.user, adjustment=adjustment, approve=approve, reason=reason
            ),
        ):
            charge = adjustment.charge
            done = "Approved" if approve else "Rejected"
            messages.success(request, f"{done} the correction of {charge.resource_name} for {charge.project.code}.")
        return redirect("corrections")
    return render(request, "billing/corrections.html", {"waiting": _waiting(request.user)[:200]})
