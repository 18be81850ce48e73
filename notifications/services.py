"""In-app notifications, and their email copy for those who want it (an outbox row, sent by Celery)."""

from django.db import transaction
from django.utils import timezone

from common import broker

from .models import Notification
from .tasks import send_notification_email


def notify(*, user, kind: str, title: str, body: str = "", url: str = "") -> Notification:
    profile = getattr(user, "profile", None)
    wants_email = bool(user.email) and (profile.email_notifications if profile is not None else True)
    notification = Notification.objects.create(
        user=user,
        kind=kind,
        title=title[:200],
        body=body,
        url=url[:300],
        email_due_at=timezone.now() if wants_email else None,
    )
    if wants_email:
        # A fast path only: with the broker away the row stays owed and the sweeper sends it.
        transaction.on_commit(lambda: broker.send(send_notification_email, (notification.pk,)))
    return notification


def email_retry(*, notifications) -> int:
    """An operator's "try again now" for emails not sent yet (given up or waiting for their next
    try); returns how many are owed again. Sent ones are left alone: nobody gets an email twice."""
    owed = list(notifications.filter(emailed_at__isnull=True, user__email__gt="").values_list("pk", flat=True))
    Notification.objects.filter(pk__in=owed).update(email_due_at=timezone.now(), email_attempts=0, email_error="")
    for pk in owed:
        transaction.on_commit(lambda pk=pk: broker.send(send_notification_email, (pk,)))
    return len(owed)


def mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark some (or all) of the user's unread notifications read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
