import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel

EVENT_TYPES = [
    "reservation.created",
    "reservation.updated",
    "reservation.cancelled",
    "reservation.pending",
    "reservation.approved",
    "reservation.rejected",
    "reservation.checked_in",
    "reservation.released",
    "waitlist.promoted",
    "waitlist.offered",
    "reservation.series_created",
    "reservation.started",
    "reservation.ending_soon",
    "reservation.ended",
    "reservation.allocation_failed",
    "reservation.replaced",
    "reservation.degraded",
    "reservation.idle_warned",
    "lease.created",
    "lease.updated",
    "lease.cancelled",
    "lease.started",
    "lease.ended",
    "lease.degraded",
    "resource.created",
    "resource.updated",
    "resource.status_changed",
    "resource.deleted",
    "allocation.created",
    "allocation.updated",
    "allocation.released",
    "machine.unreserved_use",
    "qualification.granted",
    "qualification.revoked",
    "qualification.expiring",
    "training.requested",
    "charge.created",
    "project.budget_low",
    "webhook.test",
]


class Event(models.Model):
    """The outbox: one row per event, written in the transaction of the change it describes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40, db_index=True)
    timestamp = models.DateTimeField(db_index=True)
    payload = models.JSONField(help_text='{"id", "type", "timestamp", "data"}: the body receivers get.')
    site_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    resource_id = models.BigIntegerField(null=True, blank=True)
    resource_type_id = models.BigIntegerField(null=True, blank=True)
    resource_path = ArrayField(models.BigIntegerField(), default=list, blank=True, help_text="Resource and ancestors.")

    class Meta:
        ordering = ["-timestamp"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class ScopeKind(models.TextChoices):
    SITE = "site", "All resources of the site"
    RESOURCE_TYPE = "resource_type", "Resources of one type at the site"
    RESOURCE = "resource", "One resource"
    RESOURCE_TREE = "resource_tree", "One resource and its sub-resources"


class WebhookState(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    FAILING = "failing", "Failing"
    DISABLED = "disabled", "Disabled"


# What a webhook's owner may change after creating it (services, admin, API and pages use this list).
WEBHOOK_EDITABLE_FIELDS = (
    "name",
    "url",
    "enabled",
    "event_types",
    "scope",
    "resource_type",
    "resource",
    "timeout_seconds",
    "headers",
    "legacy_signature",
)


class Webhook(TimeStampedModel):
    site = models.ForeignKey("resources.Site", on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    enabled = models.BooleanField(default=True)
    event_types = ArrayField(
        models.CharField(max_length=40), default=list, blank=True, help_text="Empty: every event type."
    )
    scope = models.CharField(max_length=20, choices=ScopeKind.choices, default=ScopeKind.SITE)
    resource_type = models.ForeignKey(
        "resources.ResourceType", null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks"
    )
    resource = models.ForeignKey(
        "resources.Resource", null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks"
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(30)], help_text="Seconds, 1 to 30."
    )
    headers = models.JSONField(default=dict, blank=True, help_text="Extra request headers, e.g. an API key.")
    legacy_signature = models.BooleanField(
        default=False, help_text="Also send X-Webhook-Signature (base64 HMAC-SHA256 of the raw body)."
    )
    secret = models.CharField(max_length=120, editable=False)
    previous_secret = models.CharField(max_length=120, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name"],
                name="webhook_unique_name_per_site",
                violation_error_message="A webhook with this name already exists at this site.",
            ),
            models.CheckConstraint(
                condition=Q(timeout_seconds__gte=1, timeout_seconds__lte=30), name="webhook_timeout_bounds"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def covers(self, resource, path: list[int]) -> bool:
        """In memory, what outbox.scope_filter asks the database (path: the resource and its ancestors)."""
        return self.site_id == resource.site_id and self.scope_covers(
            resource_id=resource.pk, resource_type_id=resource.resource_type_id, path=path
        )

    def scope_covers(self, *, resource_id=None, resource_type_id=None, path=()) -> bool:
        """Whether this webhook's scope takes an event about that resource (none: site-wide only)."""
        return (
            self.scope == ScopeKind.SITE
            or (
                self.scope == ScopeKind.RESOURCE_TYPE
                and resource_type_id is not None
                and self.resource_type_id == resource_type_id
            )
            or (self.scope == ScopeKind.RESOURCE and resource_id is not None and self.resource_id == resource_id)
            or (self.scope == ScopeKind.RESOURCE_TREE and self.resource_id in path)
        )

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    @property
    def state(self) -> str:
        if not self.enabled:
            return WebhookState.DISABLED
        return WebhookState.FAILING if self.consecutive_failures else WebhookState.HEALTHY


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERING = "delivering", "Delivering"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Delivery(models.Model):
    """One event to one webhook: pending until a 2xx, a final refusal or the last retry."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    provisioning_result = models.JSONField(null=True, blank=True, help_text="What the receiver reported back.")
    ordering_key = models.CharField(
        max_length=80,
        blank=True,
        default="",
        help_text="Deliveries with the same key to the same webhook go out one after the other, "
        "in the order of their events (e.g. reservation:42).",
    )

    class Meta:
        ordering = ["-created"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "webhook"], name="delivery_one_per_event_and_webhook"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(
                fields=["webhook", "ordering_key", "id"],
                name="delivery_in_line",
                condition=models.Q(status__in=["pending", "delivering"]) & ~models.Q(ordering_key=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} -> {self.webhook} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started = models.DateTimeField()
    request_headers = models.JSONField(default=dict)
    request_body = models.TextField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The first 4 KB.")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started"]
        indexes = [models.Index(fields=["started"], name="attempt_started")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.response_status or self.error}"


class InboundCallback(models.Model):
    """A receiver's signed message back to us; each webhook-id is accepted once."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="callbacks")
    message_id = models.CharField(max_length=100)
    received = models.DateTimeField(auto_now_add=True)
    body = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["webhook", "message_id"], name="callback_once_per_message_id")]

    def __str__(self) -> str:
        return f"callback {self.message_id} from {self.webhook}"
