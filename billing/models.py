from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class PriceGroup(models.TextChoices):
    INTERNAL = "internal", "Internal"
    ACADEMIC = "academic", "External academic"
    INDUSTRY = "industry", "Industry"


class ProjectStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Project(models.Model):
    """Who pays: a grant or cost centre with a principal investigator, members, the sites it may
    book at and an active period. Bookings are charged to it."""

    name = models.CharField(max_length=200)
    code = models.CharField(max_length=60, unique=True, help_text="Cost centre or grant number.")
    pi = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="PI")
    sites = models.ManyToManyField("resources.Site", related_name="+", help_text="Where it may book.")
    price_group = models.CharField(max_length=10, choices=PriceGroup.choices, default=PriceGroup.INTERNAL)
    status = models.CharField(max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Empty: open-ended.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="billing_project_period",
                violation_error_message="A project ends on or after its start.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class ProjectMember(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_default = models.BooleanField(default=False, help_text="The person's bookings go to it unless they choose.")
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project__code", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"], name="billing_member_once", violation_error_message="Already a member."
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True),
                name="billing_one_default_project",
                violation_error_message="A person has one default project.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project.code}"


class SiteBilling(models.Model):
    """A site's billing settings."""

    site = models.OneToOneField("resources.Site", on_delete=models.CASCADE, primary_key=True, related_name="+")
    project_required = models.BooleanField(default=False, help_text="Every booking here is charged to a project.")

    def __str__(self) -> str:
        return f"Billing at {self.site}"


class BookingProject(models.Model):
    """The project a booking is charged to (the booking core knows nothing of projects)."""

    reservation = models.OneToOneField(
        "reservations.Reservation", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="bookings")

    class Meta:
        indexes = [models.Index(fields=["project", "reservation"], name="billing_booking_project")]

    def __str__(self) -> str:
        return f"Booking {self.reservation_id} → {self.project_id}"


class BudgetPeriod(models.TextChoices):
    MONTH = "month", "Per month"
    QUARTER = "quarter", "Per quarter"
    PROJECT = "project", "For the whole project"


class Budget(models.Model):
    """Hours of one resource type a project may book per period; bookings past it are refused."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budgets")
    resource_type = models.ForeignKey("resources.ResourceType", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=8, choices=BudgetPeriod.choices, default=BudgetPeriod.MONTH)
    hours = models.DecimalField(max_digits=9, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    low_warned = models.JSONField(default=list, blank=True, help_text="Periods already warned at 80 %.")

    class Meta:
        ordering = ["project__code", "resource_type__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "resource_type", "period"],
                name="billing_budget_once",
                violation_error_message="This project already has such a budget for this type.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.code}: {self.hours} h of {self.resource_type} {self.get_period_display().lower()}"


class Rate(models.Model):
    """What an hour of a resource type costs a price group, and the charging rules."""

    resource_type = models.ForeignKey("resources.ResourceType", on_delete=models.CASCADE, related_name="+")
    price_group = models.CharField(max_length=10, choices=PriceGroup.choices)
    per_hour = models.DecimalField(max_digits=9, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    minimum_hours = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    rounding_minutes = models.PositiveSmallIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(240)], help_text="Time is rounded up to this."
    )
    late_cancel_hours = models.PositiveSmallIntegerField(
        default=0, help_text="A cancellation within this many hours of the start is charged; 0: never."
    )
    late_cancel_percent = models.PositiveSmallIntegerField(default=50, validators=[MaxValueValidator(100)])
    no_show_percent = models.PositiveSmallIntegerField(default=100, validators=[MaxValueValidator(100)])
    charge_actual_use = models.BooleanField(
        default=False, help_text="Where the agent measures use: the greater of used time and a share of booked time."
    )
    booked_share_percent = models.PositiveSmallIntegerField(default=50, validators=[MaxValueValidator(100)])

    class Meta:
        ordering = ["resource_type__name", "price_group"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource_type", "price_group"],
                name="billing_rate_once",
                violation_error_message="This type already has a rate for this price group.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_type} · {self.get_price_group_display()}: {self.per_hour}/h"


class ChargeRule(models.TextChoices):
    BOOKED = "booked", "Booked time"
    ACTUAL = "actual", "Measured use"
    MINIMUM = "minimum", "Minimum charge"
    LATE_CANCEL = "late_cancel", "Late cancellation"
    NO_SHOW = "no_show", "No-show"


class Charge(models.Model):
    """One immutable row per finished (or late-cancelled) booking, with the rate and rule applied."""

    reservation = models.OneToOneField("reservations.Reservation", on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="charges")
    resource_type = models.ForeignKey("resources.ResourceType", on_delete=models.PROTECT, related_name="+")
    resource_name = models.CharField(max_length=150)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("resources.Site", on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    hours = models.DecimalField(max_digits=9, decimal_places=2)
    price_group = models.CharField(max_length=10, choices=PriceGroup.choices)
    per_hour = models.DecimalField(max_digits=9, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    rule = models.CharField(max_length=12, choices=ChargeRule.choices)
    detail = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["project", "start"], name="billing_charge_project_start")]

    def __str__(self) -> str:
        return f"{self.project.code}: {self.hours} h {self.resource_name} = {self.amount}"


class AdjustmentStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Adjustment(models.Model):
    """A correction of a charge: requested by a member, decided by a site administrator; approved
    ones appear on the statement of the month they are decided in. The charge itself never changes."""

    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="adjustments")
    hours = models.DecimalField(max_digits=9, decimal_places=2, help_text="Negative to credit.")
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="Negative to credit.")
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=AdjustmentStatus.choices, default=AdjustmentStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Adjustment of charge {self.charge_id}: {self.amount}"
