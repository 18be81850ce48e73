from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F
from django.utils import timezone

from notifications.services import notify

from . import rules
from .models import Reservation, ReservationStatus

REMINDER_LOOKAHEAD_MINUTES = 24 * 60  # the longest reminder a user can ask for


@shared_task
def send_due_reminders() -> dict:
    """Beat, every minute: reminders before start (per-user lead time) and ending-soon notices.
    Each booking is marked in the same transaction, so a repeated run sends nothing twice."""
    now = timezone.now()
    reminded = ending = 0
    with transaction.atomic():
        upcoming = (
            Reservation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=ReservationStatus.CONFIRMED,
                reminder_sent_at__isnull=True,
                start__gt=now,
                start__lte=now + timezone.timedelta(minutes=REMINDER_LOOKAHEAD_MINUTES),
            )
            .select_related("owner__profile", "resource__site")
        )
        for booking in upcoming:
            profile = getattr(booking.owner, "profile", None)
            lead = timezone.timedelta(minutes=profile.reminder_minutes if profile else 15)
            if booking.start - now > lead:
                continue
            notify(
                user=booking.owner,
                kind="reservation.reminder",
                title=f"Your booking of {booking.resource.name} starts at "
                f"{rules.local(booking.start, booking.resource)}",
                url=f"/reservations/{booking.pk}/",
            )
            Reservation.objects.filter(pk=booking.pk).update(reminder_sent_at=now)
            reminded += 1
        window = timezone.timedelta(minutes=settings.NOTIFY_ENDING_SOON_MINUTES)
        ending_soon = (
            Reservation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=ReservationStatus.CONFIRMED,
                ending_soon_sent_at__isnull=True,
                end__gt=now,
                end__lte=now + window,
                start__lte=now,
            )
            .annotate(length=ExpressionWrapper(F("end") - F("start"), output_field=DurationField()))
            .filter(length__gt=window)
            .select_related("owner", "resource__site")
        )
        for booking in ending_soon:
            notify(
                user=booking.owner,
                kind="reservation.ending_soon",
                title=f"Your booking of {booking.resource.name} ends at {rules.local(booking.end, booking.resource)}",
                url=f"/reservations/{booking.pk}/",
            )
            Reservation.objects.filter(pk=booking.pk).update(ending_soon_sent_at=now)
            ending += 1
    return {"reminders": reminded, "ending_soon": ending}
