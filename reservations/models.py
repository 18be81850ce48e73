from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q

from common import times
from common.models import TimeStampedModel


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class ReservationStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    PENDING = "pending", "Pending approval"
    CANCELLED = "cancelled", "Cancelled"
    REJECTED = "rejected", "Rejected"


# Bookings that hold their time: a pending booking keeps its slot until it is decided.
HOLDING = (ReservationStatus.CONFIRMED, ReservationStatus.PENDING)


class Series(TimeStampedModel):
    """A recurring booking: an RFC 5545 RRULE expanded in the site's time zone."""

    resource = models.ForeignKey("resources.Resource", on_delete=models.PROTECT, related_name="series")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="series")
    rrule = models.CharField(max_length=500, help_text="e.g. FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10")
    time_zone = models.CharField(max_length=64)
    first_start = models.DateTimeField()
    duration = models.DurationField()
    title = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return f"{self.title or 'Series'} ({self.rrule})"


class Reservation(TimeStampedModel):
    """A half-open interval [start, end) on one resource."""

    resource = models.ForeignKey("resources.Resource", on_delete=models.PROTECT, related_name="reservations")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reservations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    cleanup = models.DurationField(
        default=timedelta(0), help_text="The resource's cleanup time after this booking, as it was when booked."
    )
    # end + cleanup, kept by a trigger (reservations/migrations/0006): what the exclusion constraint compares.
    blocked_until = models.DateTimeField(editable=False, null=True)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.CONFIRMED)
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.PROTECT, related_name="occurrences")
    lease = models.ForeignKey(
        "reservations.Lease", null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    allocation_problem = models.CharField(
        max_length=500, blank=True, help_text="Why the allocations its resource's templates name could not be made."
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(
        max_length=500, blank=True, help_text="Why it was cancelled or rejected (told to the owner)."
    )
    pending_until = models.DateTimeField(
        null=True, blank=True, help_text="A pending booking not approved by then is rejected (expired)."
    )
    decided_at = models.DateTimeField(null=True, blank=True, help_text="When it was approved or rejected.")
    checkin_until = models.DateTimeField(
        null=True, blank=True, help_text="Not checked in by then, the booking is released (no-show)."
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(
        null=True, blank=True, help_text="When the rest of its time was freed (no-show or check-out)."
    )
    release_reason = models.CharField(
        max_length=20,
        blank=True,
        choices=[
            ("no_show", "No-show"),
            ("checked_out", "Checked out early"),
            ("replaced", "Moved off a failed resource"),
        ],
    )
    # Slurm's REPLACE_DOWN for bookings: a lease's bookings always, a single one when it opts in.
    replace_if_down = models.BooleanField(
        default=False, help_text="If its resource goes out of service, move it to a free resource of the same type."
    )
    replace_where = models.CharField(
        max_length=500, blank=True, help_text="The attribute filter a replacement must match (a lease uses its own)."
    )
    awaiting_replacement_since = models.DateTimeField(
        null=True, blank=True, help_text="Its resource went out of service and no free match was found yet."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    ending_soon_sent_at = models.DateTimeField(null=True, blank=True)
    # When reservation.started / ending_soon / ended fired (each exactly once).
    started_event_at = models.DateTimeField(null=True, blank=True)
    ending_soon_event_at = models.DateTimeField(null=True, blank=True)
    ended_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = "booking"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="reservation_end_after_start",
                violation_error_message="The end must be after the start.",
            ),
            models.CheckConstraint(condition=Q(status__in=ReservationStatus.values), name="reservation_status_valid"),
            ExclusionConstraint(
                name="reservation_no_overlap",
                expressions=[
                    ("resource", RangeOperators.EQUAL),
                    (TsTzRange("start", "blocked_until", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=HOLDING),
                violation_error_message="This resource is already booked at that time (or being cleaned up).",
            ),
            models.CheckConstraint(
                condition=Q(cleanup__gte=timedelta(0)) & Q(cleanup__lte=timedelta(days=1)),
                name="reservation_cleanup_bounds",
                violation_error_message="Cleanup lasts between 0 and 24 hours.",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "start"], name="reservation_owner_start"),
            # Lists in their order: a page is read off the index instead of sorting every booking.
            models.Index(fields=["start", "id"], name="reservation_start_id"),
            models.Index(fields=["status", "start"], name="reservation_status_start"),
            models.Index(fields=["status", "end"], name="reservation_status_end"),
            # A resource's last booking (idle resources in utilization reports).
            models.Index(fields=["resource", "end"], name="reservation_resource_end"),
            models.Index(
                fields=["start"], name="reservation_start_pending", condition=Q(started_event_at__isnull=True)
            ),
            models.Index(fields=["end"], name="reservation_end_pending", condition=Q(ended_event_at__isnull=True)),
            models.Index(
                fields=["awaiting_replacement_since"],
                name="reservation_awaiting_replace",
                condition=Q(awaiting_replacement_since__isnull=False),
            ),
            models.Index(
                fields=["pending_until"], name="reservation_awaiting", condition=Q(status=ReservationStatus.PENDING)
            ),
            models.Index(
                fields=["checkin_until"],
                name="reservation_checkin_due",
                condition=Q(checked_in_at__isnull=True, released_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        # On the site's clock with the zone named, however the times were loaded (a form gives
        # them in the site's zone, the database in UTC): audit entries keep this text.
        return f"{self.title or 'Booking'} of {self.resource} {times.booking_span(self)}"

    def _sync_blocked_until(self) -> None:
        # The database's trigger does the same for writes that bypass save() (bulk, SQL).
        if self.end is not None:
            self.blocked_until = self.end + (self.cleanup or timedelta(0))

    def clean(self) -> None:
        self._sync_blocked_until()

    def save(self, *args, **kwargs):
        self._sync_blocked_until()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"end", "cleanup"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "blocked_until"}
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status == ReservationStatus.CONFIRMED
