from datetime import datetime

from celery import shared_task
from django.utils import timezone

from .models import Heartbeat


@shared_task(ignore_result=True, expires=30)
def heartbeat(sent_at: str) -> None:
    """Beat sends it every 10 s; the worker that runs it records both: beat by when it was sent,
    the worker by when it ran."""
    Heartbeat.objects.update_or_create(name="beat", defaults={"last_seen": datetime.fromisoformat(sent_at)})
    Heartbeat.objects.update_or_create(name="worker", defaults={"last_seen": timezone.now()})


@shared_task(ignore_result=True)
def send_heartbeat() -> None:
    heartbeat.delay(timezone.now().isoformat())
