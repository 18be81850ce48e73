from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from common.models import TimeStampedModel
from tenancy.models import Site

from .parameters import validate_parameter_schema
from .tree import resource_ancestor_ids
from .validators import validate_color, validate_json_object


class ResourceType(TimeStampedModel):
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resource_types",
        help_text="Leave empty for a type available at every site.",
    )
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=7, default="#4e79a7", validators=[validate_color])
    description = models.TextField(blank=True)
    parameter_schema = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_parameter_schema],
        help_text="Custom booking parameters: a list of {key, label, type, required, choices}.",
    )
    min_duration = models.DurationField(null=True, blank=True, help_text="Shortest booking, e.g. 00:30:00.")
    max_duration = models.DurationField(null=True, blank=True, help_text="Longest booking, e.g. 3 days, 00:00:00.")
    max_horizon = models.DurationField(
        null=True, blank=True, help_text="How far ahead a booking may start, e.g. 90 days, 00:00:00."
    )
    cleanup = models.DurationField(
        default=timedelta(0),
        blank=True,
        validators=[MinValueValidator(timedelta(0)), MaxValueValidator(timedelta(days=1))],
        help_text="Time after each booking in which the resource cannot start another (cleaning, "
        "re-imaging), e.g. 00:30:00. Kept by each booking as it was when booked.",
    )
    requires_approval = models.BooleanField(
        default=False,
        help_text="Members' bookings wait, holding their slot, until a site administrator approves them.",
    )
    approval_timeout = models.DurationField(
        null=True,
        blank=True,
        validators=[MinValueValidator(timedelta(minutes=1))],
        help_text="A booking not approved within this time is rejected; empty: APPROVAL_TIMEOUT_HOURS (48).",
    )
    checkin_window = models.DurationField(
        null=True,
        blank=True,
        validators=[MinValueValidator(timedelta(minutes=1))],
        help_text="Owners check in within this time after the start, or the rest of the booking is released "
        "(no-show), e.g. 00:15:00. Empty: no check-in.",
    )
    min_notice = models.DurationField(
        null=True,
        blank=True,
        validators=[MinValueValidator(timedelta(0))],
        help_text="How long before its start a booking must be made, e.g. 02:00:00 (site administrators excepted).",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name"],
                nulls_distinct=False,
                name="resourcetype_unique_name_per_site",
                violation_error_message="A resource type with this name already exists at this site.",
            ),
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-f]{6}$"),
                name="resourcetype_color_hex",
                violation_error_message="Enter a color as #rrggbb.",
            ),
            models.CheckConstraint(
                condition=Q(min_duration__isnull=True)
                | Q(max_duration__isnull=True)
                | Q(max_duration__gte=F("min_duration")),
                name="resourcetype_duration_bounds",
                violation_error_message="The longest booking cannot be shorter than the shortest.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.site.name if self.site_id else 'all sites'})"

    def clean(self) -> None:
        if self.color:
            self.color = self.color.lower()
        if self.cleanup is None:
            self.cleanup = timedelta(0)  # a form left empty: none
        if self.pk and self.site_id:
            elsewhere = self.resources.exclude(site_id=self.site_id)
            if elsewhere.exists():
                names = ", ".join(str(r) for r in elsewhere[:5])
                raise ValidationError(
                    {"site": f"Resources at other sites use this type ({names}); it must stay available to them."}
                )


class ResourceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    MAINTENANCE = "maintenance", "In maintenance"
    UNAVAILABLE = "unavailable", "Unavailable"


# What may be booked is decided here, once: the property for one resource, the lookup for queries.
BOOKABLE = Q(status=ResourceStatus.ACTIVE)


class ResourceQuerySet(models.QuerySet):
    def bookable(self) -> "ResourceQuerySet":
        return self.filter(BOOKABLE)


class Resource(TimeStampedModel):
    objects = ResourceQuerySet.as_manager()

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="resources")
    resource_type = models.ForeignKey(ResourceType, on_delete=models.PROTECT, related_name="resources")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The resource this one is part of (a GPU's server, a switch's rack).",
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    specs = models.TextField(blank=True, help_text="Free-text specification (CPU, memory, model...).")
    attributes = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=ResourceStatus.choices, default=ResourceStatus.ACTIVE)
    leaves_service_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Drain: nothing is booked past this moment, and at it the resource goes into maintenance.",
    )
    cleanup = models.DurationField(
        null=True,
        blank=True,
        validators=[MinValueValidator(timedelta(0)), MaxValueValidator(timedelta(days=1))],
        help_text="Overrides the type's cleanup time for this resource; empty: the type's.",
    )

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name"],
                name="resource_unique_name_per_site",
                violation_error_message="A resource with this name already exists at this site.",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="resource_not_own_parent",
                violation_error_message="A resource cannot be its own parent.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ResourceStatus.values),
                name="resource_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["site", "status"], name="resource_site_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_bookable(self) -> bool:
        return self.status == ResourceStatus.ACTIVE

    @property
    def cleanup_time(self) -> timedelta:
        """The cleanup after each booking: the resource's own, else its type's."""
        return self.cleanup if self.cleanup is not None else self.resource_type.cleanup

    def clean(self) -> None:
        errors = {}
        if self.resource_type_id and self.site_id:
            type_site = self.resource_type.site_id
            if type_site is not None and type_site != self.site_id:
                errors["resource_type"] = f"The type '{self.resource_type.name}' belongs to another site."
        if self.parent_id:
            if self.pk and self.parent_id == self.pk:
                errors["parent"] = "A resource cannot be its own parent."
            elif self.site_id and self.parent.site_id != self.site_id:
                errors["parent"] = f"The parent '{self.parent.name}' is at another site; parent and child share a site."
            elif self.pk and self.pk in resource_ancestor_ids(self.parent_id):
                errors["parent"] = (
                    f"'{self.parent.name}' is inside '{self.name}'; making it the parent would create a cycle."
                )
        if self.pk and self.site_id and self.children.exclude(site_id=self.site_id).exists():
            errors["site"] = "This resource has sub-resources; move or detach them before changing its site."
        if errors:
            raise ValidationError(errors)
