from django.conf import settings
from django.db import models


class MachineToken(models.Model):
    """The credential of the agent on one machine. Only a SHA-256 digest of the secret is stored;
    it reads that machine's state and nothing else."""

    resource = models.ForeignKey("resources.Resource", on_delete=models.CASCADE, related_name="machine_tokens")
    name = models.CharField(max_length=100, help_text="Where it is installed, e.g. the host name.")
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise a token.")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_seen_at = models.DateTimeField(null=True, blank=True, help_text="When the agent last read its state.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} on {self.resource} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None
