from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """What a person was told. It is also the outbox of its email: written in the same transaction
    as its cause, owed while `email_due_at` is set, sent by a worker (handed over after commit, or
    by the beat sweeper when the broker was away), retried with backoff, marked once sent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, help_text="e.g. reservation.cancelled, reservation.reminder")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When its email is next tried; empty when none is owed (sent or given up)."
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=500, blank=True, help_text="Why the last try to email it failed.")

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
            models.Index(
                fields=["email_due_at"], name="notification_email_due", condition=Q(email_due_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.title
