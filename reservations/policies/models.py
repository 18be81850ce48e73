"""The fair-use policies' tables: quota rules, blackouts and their periods, the waitlist. They belong
to the reservations app (same tables, admin addresses and migration history as before the policies
had their own package); ReservationsConfig.import_models loads them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from common import times
from common.models import TimeStampedModel
from reservations.models import Reservation


class QuotaPeriod(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"


class QuotaRule(TimeStampedModel):
    """How much of a site's resources (of one type, or all) one person may book: hours per day,
    week or month (in the site's time zone), bookings at the same time, bookings ahead. Empty
    limits do not apply. Enforced per owner under a lock (reservations/policies/quotas.py)."""

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
        return f"{self.blackout.reason}: {times.span(self.start, self.end, times.site_zone(self.site))}"


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
    title = models.CharField(max_length=200, blank=True, help_text="The booking's title, when it is booked for you.")
    parameters = models.JSONField(
        default=dict, blank=True, help_text="The booking's parameters (its type's schema), kept for when it frees."
    )
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
        where = times.site_zone(self.resource.site)
        return f"{self.user} waits for {self.resource} {times.span(self.start, self.end, where)}"
