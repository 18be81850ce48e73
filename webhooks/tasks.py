from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common import broker
from webhooks.transport import delivery as sending

from .models import Delivery, DeliveryStatus


@shared_task(acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    """Send one delivery once. Idempotent: a lease taken in one UPDATE decides which worker sends;
    a succeeded, failed or cancelled delivery, or one not yet due, is left alone."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("webhook", "event")
            .filter(pk=delivery_id, next_attempt_at__lte=now + timedelta(seconds=1))
            .filter(Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.DELIVERING, lease_until__lt=now))
            .first()
        )
        if row is None:
            return "skipped"
        if sending.in_line_behind(row):
            return "waiting for an earlier event of the same subject"  # woken when that one is done
        if not row.webhook.enabled:
            row.status = DeliveryStatus.CANCELLED
            row.save(update_fields=["status"])
            return "webhook disabled"
        row.status = DeliveryStatus.DELIVERING
        grace = timedelta(seconds=settings.WEBHOOK_LEASE_GRACE_SECONDS)
        row.lease_until = now + timedelta(seconds=row.webhook.timeout_seconds) + grace
        row.save(update_fields=["status", "lease_until"])
    body, headers = sending.build_request(row.webhook, row)
    outcome = sending.post(row.webhook, body, headers)
    sending.record(row, row.attempts + 1, now, body, headers, outcome)
    return str(outcome.status or outcome.error)


@shared_task(ignore_result=True)
def sweep() -> int:
    """Beat: hand to the workers what is due but was never picked up (broker down at commit time,
    a worker killed mid-delivery whose lease ran out)."""
    now = timezone.now()
    due = Delivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - timedelta(seconds=3))
        | Q(status=DeliveryStatus.DELIVERING, lease_until__lt=now)
    ).values_list("pk", "created")[:1000]
    sent = 0
    for delivery_id, created in list(due):
        if broker.not_sent_lately(f"swept:{delivery_id}:{created.timestamp()}"):
            deliver.delay(delivery_id)
            sent += 1
    return sent
