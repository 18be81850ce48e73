from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=30, retry_jitter=True, max_retries=6)
def send_notification_email(self, notification_id: int) -> bool:
    """Idempotent: the row is locked and marked, so a redelivered task sends nothing twice."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("user").filter(pk=notification_id).first()
        )
        if notification is None or notification.emailed_at is not None or not notification.user.email:
            return False
        body = notification.body
        if notification.url:
            body += f"\n\n{settings.SITE_URL.rstrip('/')}{notification.url}"
        send_mail(notification.title, body, None, [notification.user.email], fail_silently=False)
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
