from django.db import models

from common.events import Severity


class AuditEntry(models.Model):
    """One thing that happened. Append-only: a database trigger refuses UPDATE and DELETE.

    Actor and site are copied values, not foreign keys, so that deleting a user or a site never
    has to touch (and so can never rewrite) the history.
    """

    timestamp = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True, help_text="Empty for the system itself.")
    action = models.CharField(max_length=60, db_index=True, help_text="e.g. resource.created, auth.login_failed")
    category = models.CharField(max_length=30, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    site_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}; secrets masked.")
    message = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The hash chain (audit.chain): set once, shortly after the entry is written, never changed.
    seq = models.BigIntegerField(null=True, blank=True, unique=True, help_text="Position in the hash chain.")
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="", help_text="SHA-256 over the content and prev_hash.")

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.actor_username or 'system'} {self.action} {self.object_repr}"
