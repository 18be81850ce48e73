from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Func, Q

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


class Lease(TimeStampedModel):
    """N resources of one type taken together ("two A100 servers, Tuesday 9-17"): one booking per
    resource, all with the same times, made, moved and cancelled as one."""

    site = models.ForeignKey("resources.Site", on_delete=models.PROTECT, related_name="leases")
    resource_type = models.ForeignKey("resources.ResourceType", on_delete=models.PROTECT, related_name="leases")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leases")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200, blank=True)
    where = models.CharField(max_length=500, blank=True, help_text="The attribute filter the resources matched.")
    count = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    start = models.DateTimeField()
    end = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When lease.started / lease.ended fired (each exactly once).
    started_event_at = models.DateTimeField(null=True, blank=True)
    ended_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="lease_end_after_start",
                violation_error_message="The end must be after the start.",
            ),
        ]
        indexes = [models.Index(fields=["owner", "start"], name="lease_owner_start")]

    def __str__(self) -> str:
        return f"{self.title or 'Lease'}: {self.count} x {self.resource_type} {self.start:%Y-%m-%d %H:%M}"


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
    lease = models.ForeignKey(Lease, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings")
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
        max_length=20, blank=True, choices=[("no_show", "No-show"), ("checked_out", "Checked out early")]
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
                fields=["pending_until"], name="reservation_awaiting", condition=Q(status=ReservationStatus.PENDING)
            ),
            models.Index(
                fields=["checkin_until"],
                name="reservation_checkin_due",
                condition=Q(checked_in_at__isnull=True, released_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title or 'Booking'} of {self.resource} {self.start:%Y-%m-%d %H:%M} to {self.end:%H:%M}"

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


class QuotaPeriod(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"


class QuotaRule(TimeStampedModel):
    """How much of a site's resources (of one type, or all) one person may book: hours per day,
    week or month (in the site's time zone), bookings at the same time, bookings ahead. Empty
    limits do not apply. Enforced per owner under a lock (reservations/quotas.py)."""

    site = models.ForeignKey("resources.Site", on_delete=models.CASCADE, related_name="quota_rules")
    resource_type = models.ForeignKey(
        "resources.ResourceType",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quota_rules",
        help_text="Empty: bookings of every type at the site count together.",
    )
    group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quota_rules",
        help_text="Empty: each person separately. A group (a team, e.g. Keycloak's /teams/vision): "
        "its members' bookings count together.",
    )
    period = models.CharField(max_length=5, choices=QuotaPeriod.choices, default=QuotaPeriod.WEEK)
    max_hours = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Hours one person may book per period.",
    )
    max_concurrent = models.PositiveIntegerField(
        null=True, blank=True, help_text="Bookings one person may hold at the same time."
    )
    max_future = models.PositiveIntegerField(
        null=True, blank=True, help_text="Bookings one person may have that have not ended yet."
    )

    class Meta:
        verbose_name = "quota rule"
        constraints = [
            models.UniqueConstraint(
                fields=["site", "resource_type", "group", "period"],
                nulls_distinct=False,
                name="quota_rule_unique_scope",
                violation_error_message="This site already has a quota rule for this type and period.",
            ),
            models.CheckConstraint(
                condition=Q(max_hours__isnull=False) | Q(max_concurrent__isnull=False) | Q(max_future__isnull=False),
                name="quota_rule_limits_something",
                violation_error_message="Set at least one limit: hours, bookings at once or bookings ahead.",
            ),
        ]

    def clean(self) -> None:
        if self.resource_type_id and self.resource_type.site_id not in (None, self.site_id):
            raise ValidationError({"resource_type": "This type is not available at the rule's site."})

    def __str__(self) -> str:
        kind = self.resource_type.name if self.resource_type_id else "all types"
        whose = f" of {self.group.name}" if self.group_id else ""
        return f"Quota at {self.site} for {kind}{whose} per {self.period}"


class Blackout(TimeStampedModel):
    """A window in which nothing can be booked: the whole site (maintenance, holidays) or one
    resource and everything in its tree. Recurring with an RRULE; each occurrence is a period."""

    site = models.ForeignKey("resources.Site", on_delete=models.CASCADE, related_name="blackouts")
    resource = models.ForeignKey(
        "resources.Resource",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="blackouts",
        help_text="Empty: the whole site.",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    rrule = models.CharField(max_length=500, blank=True, help_text="Repeat, e.g. FREQ=WEEKLY;BYDAY=SU;COUNT=52.")
    reason = models.CharField(max_length=200, help_text="Shown to people who try to book, e.g. Holidays.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="blackout_end_after_start",
                violation_error_message="The end must be after the start.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.resource or self.site})"


class BlackoutPeriod(models.Model):
    """One occurrence of a blackout: what bookings are checked against."""

    blackout = models.ForeignKey(Blackout, on_delete=models.CASCADE, related_name="periods")
    site = models.ForeignKey("resources.Site", on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(
        "resources.Resource", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["site", "start", "end"], name="blackout_period_site_time")]

    def __str__(self) -> str:
        return f"{self.blackout.reason}: {self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M}"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Told the slot is free"
    BOOKED = "booked", "Booked for them"
    LEFT = "left", "Left the list"


class WaitlistEntry(TimeStampedModel):
    """Someone waiting for a taken slot. When (part of) it frees, the first waiter whose whole slot
    is free is booked (auto_book, if every rule allows) or told, in the transaction that freed it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries")
    resource = models.ForeignKey("resources.Resource", on_delete=models.CASCADE, related_name="waitlist_entries")
    start = models.DateTimeField()
    end = models.DateTimeField()
    auto_book = models.BooleanField(default=True, help_text="Book it for me as soon as it is free.")
    status = models.CharField(max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    booking = models.ForeignKey(Reservation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="What happened when the slot freed.")

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = "waitlist entry"
        verbose_name_plural = "waitlist"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="waitlist_end_after_start",
                violation_error_message="The end must be after the start.",
            )
        ]
        indexes = [
            models.Index(
                fields=["resource", "start"], name="waitlist_waiting", condition=Q(status=WaitlistStatus.WAITING)
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} waits for {self.resource} {self.start:%Y-%m-%d %H:%M}"
