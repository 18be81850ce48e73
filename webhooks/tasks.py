from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from common import broker
from webhooks.transport import batches

from .models import Delivery, DeliveryStatus


@shared_task(acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    """Send this delivery, with other due ones in the same batch (webhooks.transport.batches).
    Idempotent: a lease taken in one UPDATE decides which worker sends; a succeeded, failed or
    cancelled delivery, or one not yet due, is left alone."""
    return batches.deliver_batch(delivery_id)


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
