from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel

from .kinds import Kind


class AllocationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESERVED = "reserved", "Reserved"
    RELEASED = "released", "Released"


class Allocation(TimeStampedModel):
    """A claim on a system resource. At most one non-released claim per (type, canonical value,
    environment): a partial unique index guarantees it. Release never deletes."""

    site = models.ForeignKey("resources.Site", on_delete=models.PROTECT, related_name="allocations")
    resource_type = models.CharField(max_length=20, choices=Kind.choices)
    resource_name = models.CharField(max_length=200, help_text="What it is for, e.g. 'web API port'.")
    resource_value = models.CharField(max_length=500, help_text="Canonical form: '08000' is stored as 8000.")
    environment = models.SlugField(max_length=40, default="production")
    server_hostname = models.CharField(max_length=253, blank=True)
    owner_service = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="allocations"
    )
    assigned_to = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=10, choices=AllocationStatus.choices, default=AllocationStatus.ACTIVE)
    is_locked = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    depends_on = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="dependents")
    expires_at = models.DateTimeField(null=True, blank=True)
    booking = models.ForeignKey(
        "reservations.Reservation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="allocations",
        help_text="The booking this allocation lives and dies with (made from a booking template).",
    )
    allocated_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    port_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    expiry_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["resource_type", "resource_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource_type", "resource_value", "environment"],
                condition=~Q(status=AllocationStatus.RELEASED),
                name="allocation_one_holder",
                violation_error_message="This value is already allocated in this environment.",
            ),
            models.CheckConstraint(
                condition=Q(resource_type=Kind.PORT, port_number__isnull=False) | ~Q(resource_type=Kind.PORT),
                name="allocation_port_number",
            ),
        ]
        indexes = [
            models.Index(
                fields=["environment", "port_number"],
                name="allocation_live_ports",
                condition=Q(resource_type=Kind.PORT) & ~Q(status=AllocationStatus.RELEASED),
            ),
            models.Index(fields=["owner_service"], name="allocation_owner_service"),
            models.Index(fields=["status", "expires_at"], name="allocation_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type} {self.resource_value} ({self.environment})"


class ConflictKind(models.TextChoices):
    DUPLICATE = "duplicate", "Value already allocated"
    NESTED_PATH = "nested_path", "Path inside (or around) an allocated directory"
    NETWORK_OVERLAP = "network_overlap", "Address or network inside (or around) an allocated network"


class AllocationConflict(models.Model):
    """A refused allocation: who tried what, and who holds it."""

    created = models.DateTimeField(auto_now_add=True)
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_service = models.CharField(max_length=100, blank=True)
    resource_type = models.CharField(max_length=20, choices=Kind.choices)
    resource_value = models.CharField(max_length=500)
    environment = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=ConflictKind.choices)
    severity = models.CharField(max_length=10, default="warning")
    held_by = models.ForeignKey(Allocation, null=True, on_delete=models.SET_NULL, related_name="conflicts")
    site_id = models.BigIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.resource_type} {self.resource_value}"


class AllocationHistory(models.Model):
    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="history")
    created = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=20)  # allocated, modified, locked, unlocked, released, expired
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    old_status = models.CharField(max_length=10, blank=True)
    new_status = models.CharField(max_length=10, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name_plural = "allocation history"

    def __str__(self) -> str:
        return f"{self.action} {self.allocation_id}"


class AllocationTemplate(TimeStampedModel):
    """A named set of allocation specs for a new service, e.g. a port, a database, a db_user and a
    domain. Text may contain {service} and {environment} (and any variable given when applying);
    a port value "next:8000-8999" takes the lowest free port of that range."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    specs = models.JSONField(default=list)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApplyAt(models.TextChoices):
    START = "start", "When the booking starts"
    CREATED = "created", "When the booking is made (confirmed)"


class BookingTemplate(TimeStampedModel):
    """An allocation template every booking of a resource type (or of one resource) gets for its
    duration: claimed at its start (or when it is made), released when it ends, is cancelled or
    released, extended with it. A resource's own links replace its type's."""

    template = models.ForeignKey(AllocationTemplate, on_delete=models.CASCADE, related_name="booking_links")
    resource_type = models.ForeignKey(
        "resources.ResourceType", null=True, blank=True, on_delete=models.CASCADE, related_name="booking_templates"
    )
    resource = models.ForeignKey(
        "resources.Resource", null=True, blank=True, on_delete=models.CASCADE, related_name="booking_templates"
    )
    environment = models.SlugField(max_length=40, default="production")
    apply_at = models.CharField(max_length=10, choices=ApplyAt.choices, default=ApplyAt.START)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resource_type__isnull=True, resource__isnull=False)
                | Q(resource_type__isnull=False, resource__isnull=True),
                name="booking_template_one_target",
                violation_error_message="Link the template to a resource type or to one resource, not both.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} for {self.resource or self.resource_type} ({self.get_apply_at_display().lower()})"
