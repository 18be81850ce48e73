"""The lease's table. It belongs to the reservations app (same table, admin address and migration
history as before leases had their own package); ReservationsConfig.import_models loads it."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from common import times
from common.models import TimeStampedModel


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
        where = times.site_zone(self.site)
        return f"{self.title or 'Lease'}: {self.count} x {self.resource_type} {times.span(self.start, self.end, where)}"
