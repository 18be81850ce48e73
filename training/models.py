from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class Requirement(models.Model):
    """Bookings of a resource type, or of one resource, need a qualification for it. One row per
    type (resource empty) or per resource; the person needs one qualification for each that applies."""

    resource_type = models.ForeignKey("resources.ResourceType", on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(
        "resources.Resource",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: every resource of the type. Set: this instrument needs its own training.",
    )
    lapse_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="A qualification lapses after this many months without a booking of the type; empty: never.",
    )
    description = models.TextField(blank=True, help_text="What the training covers, shown to people asking for it.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource_type__name", "resource__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource_type"],
                condition=Q(resource__isnull=True),
                name="training_requirement_one_per_type",
                violation_error_message="This type already requires training.",
            ),
            models.UniqueConstraint(
                fields=["resource"],
                name="training_requirement_one_per_resource",
                violation_error_message="This resource already requires its own training.",
            ),
        ]

    def __str__(self) -> str:
        return f"Training for {self.resource or self.resource_type}"

    @property
    def subject(self) -> str:
        return self.resource.name if self.resource_id else self.resource_type.name


class Trainer(models.Model):
    """Someone a site administrator named to grant qualifications for one resource type."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    resource_type = models.ForeignKey("resources.ResourceType", on_delete=models.CASCADE, related_name="+")
    named_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource_type__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "resource_type"],
                name="training_trainer_once",
                violation_error_message="This person already trains for this type.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} trains {self.resource_type}"


class Qualification(models.Model):
    """A person may book what a requirement covers: granted by a trainer or site administrator,
    until its expiry date (if any), until it lapses unused, or until revoked (the row stays)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="qualifications")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField()
    expires_on = models.DateField(null=True, blank=True, help_text="The last day it holds; empty: no date.")
    note = models.CharField(max_length=500, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True, help_text="When its holder was told it expires soon.")
    lapse_warned_on = models.DateField(
        null=True, blank=True, help_text="The lapse date its holder was last warned of (a booking moves it on)."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "requirement"],
                condition=Q(revoked_at__isnull=True),
                name="training_qualification_one_standing",
                violation_error_message="This person already holds this qualification.",
            )
        ]
        indexes = [models.Index(fields=["expires_on"], name="training_qual_expires")]

    def __str__(self) -> str:
        return f"{self.user} for {self.requirement.subject}"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for a trainer"
    GRANTED = "granted", "Granted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class TrainingRequest(models.Model):
    """A person asks to be trained; the type's trainers (and the site's administrators) decide once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="requests")
    message = models.CharField(max_length=1000, blank=True, help_text="What for, and when you could come.")
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    created = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True, help_text="Why, told to the person.")

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "requirement"],
                condition=Q(status="open"),
                name="training_request_one_open",
                violation_error_message="You have already asked for this training.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} asks for {self.requirement.subject}"
