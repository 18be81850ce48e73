"""In-app notifications, and their email copy for those who want it (sent by Celery after commit)."""

from django.db import transaction
from django.utils import timezone

from common import broker

from .models import Notification
from .tasks import send_notification_email


def notify(*, user, kind: str, title: str, body: str = "", url: str = "") -> Notification:
    notification = Notification.objects.create(user=user, kind=kind, title=title[:200], body=body, url=url[:300])
    profile = getattr(user, "profile", None)
    wants_email = profile.email_notifications if profile is not None else True
    if wants_email and user.email:
        transaction.on_commit(lambda: broker.send(send_notification_email, (notification.pk,)))
    return notification


def mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark some (or all) of the user's unread notifications read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
