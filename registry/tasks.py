from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from notifications.services import notify

from . import services
from .models import Allocation, AllocationStatus

WARN_BEFORE = (timedelta(days=7), timedelta(days=1))


@shared_task(ignore_result=True)
def expire_allocations() -> dict:
    """Beat: release what has expired; warn owners 7 days and 1 day before."""
    now = timezone.now()
    warned = 0
    live = Allocation.objects.filter(
        status__in=[AllocationStatus.ACTIVE, AllocationStatus.RESERVED], expires_at__isnull=False, owner__isnull=False
    ).select_related("owner")
    for lead in WARN_BEFORE:
        due = live.filter(expires_at__lte=now + lead, expires_at__gt=now).exclude(expiry_warned_at__gte=now - lead / 2)
        for allocation in due:
            with transaction.atomic():
                notify(
                    user=allocation.owner,
                    kind="allocation.expiring",
                    title=f"{allocation} expires {allocation.expires_at:%Y-%m-%d %H:%M} UTC",
                    body="Extend its expiry or let it be released.",
                    url=f"/registry/?search={allocation.resource_value}",
                )
                Allocation.objects.filter(pk=allocation.pk).update(expiry_warned_at=now)
            warned += 1
    return {"released": services.expire_due(now), "warned": warned}
