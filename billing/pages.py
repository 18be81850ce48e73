"""What billing adds to the booking core's pages: on a booking's page, the project it is charged
to (changeable while it is upcoming) and its charge once it has one."""

from django.template.loader import render_to_string
from django.utils import timezone

from reservations.models import HOLDING
from reservations.rules import may_change

from . import budgets
from .models import BookingProject, Charge


def booking_section(request, booking) -> str:
    held = BookingProject.objects.filter(reservation_id=booking.pk).select_related("project").first()
    charge = Charge.objects.filter(reservation_id=booking.pk).first()
    changeable = may_change(request.user, booking) and booking.status in HOLDING and booking.start > timezone.now()
    options = budgets.project_options(booking.owner, booking.resource.site) if changeable else []
    if held is None and not options and charge is None:
        return ""
    return render_to_string(
        "billing/_booking_project.html",
        {"booking": booking, "held": held, "charge": charge, "options": options, "user": request.user},
        request=request,
    )
