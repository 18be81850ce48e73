import random
import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from common import broker

from .models import Notification

# Seconds before the second, third, ... try; the last figure repeats until EMAIL_MAX_ATTEMPTS.
RETRY_SCHEDULE = (30, 60, 120, 300, 900, 1800, 3600)


@shared_task(acks_late=True, ignore_result=True)
def send_notification_email(notification_id: int) -> bool:
    """Send one owed email, once. The row is locked while it is sent and marked in that transaction,
    so a redelivered or swept task finds nothing owed; a row another worker is sending is skipped.
    A failed try is recorded on the row and tried again by the sweeper when due."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=notification_id, email_due_at__isnull=False, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        if not notification.user.email:
            notification.email_due_at, notification.email_error = None, "The person has no email address."
            notification.save(update_fields=["email_due_at", "email_error"])
            return False
        body = notification.body
        if notification.url:
            body += f"\n\n{settings.SITE_URL.rstrip('/')}{notification.url}"
        notification.email_attempts += 1
        try:
            send_mail(notification.title, body, None, [notification.user.email], fail_silently=False)
        except (OSError, smtplib.SMTPException) as exc:
            _failed(notification, exc)
            return False
        notification.emailed_at, notification.email_due_at, notification.email_error = timezone.now(), None, ""
        notification.save(update_fields=["emailed_at", "email_due_at", "email_attempts", "email_error"])
    return True


def _failed(notification: Notification, exc: Exception) -> None:
    attempts = notification.email_attempts
    if attempts >= settings.EMAIL_MAX_ATTEMPTS:
        notification.email_due_at = None  # given up; the admin lists it with its error
    else:
        wait = RETRY_SCHEDULE[min(attempts, len(RETRY_SCHEDULE)) - 1]
        notification.email_due_at = timezone.now() + timedelta(seconds=wait * random.uniform(1, 1.2))
    notification.email_error = f"{type(exc).__name__}: {exc}"[:500]
    notification.save(update_fields=["email_due_at", "email_attempts", "email_error"])


@shared_task(ignore_result=True)
def sweep_emails() -> int:
    """Beat: hand over the emails that are owed and due but were never picked up (the broker was
    down at commit time, a worker died while sending, a retry fell due)."""
    due = (
        Notification.objects.filter(email_due_at__lte=timezone.now() - timedelta(seconds=3))
        .order_by("email_due_at")
        .values_list("pk", "created")[:1000]
    )
    sent = 0
    for notification_id, created in list(due):
        if broker.not_sent_lately(f"swept-email:{notification_id}:{created.timestamp()}"):
            send_notification_email.delay(notification_id)
            sent += 1
    return sent
