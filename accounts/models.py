from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from common.validators import validate_time_zone

# Memberships are kept with sites (tenancy.models), under this app's label and table.
from tenancy.models import Membership, MembershipSource, Role  # noqa: F401

# The longest reminder lead time anyone may ask for (the reminder task looks this far ahead).
MAX_REMINDER_MINUTES = 24 * 60


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        validators=[validate_time_zone],
        help_text="Your own IANA zone, shown beside a site's times; blank until chosen (the browser's at first login).",
    )
    email_notifications = models.BooleanField(default=True, help_text="Also send notifications by email.")
    reminder_minutes = models.PositiveIntegerField(
        default=15,
        validators=[MaxValueValidator(MAX_REMINDER_MINUTES, "A reminder comes at most 24 hours (1440 minutes) ahead.")],
        help_text="Remind me this many minutes before a booking starts (at most 1440).",
    )
    oidc_subject = models.CharField(
        max_length=255, null=True, blank=True, unique=True, help_text="The identity provider's stable id (sub)."
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the secret is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise a token.")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"
        verbose_name_plural = "API tokens"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class SshKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ssh_keys")
    label = models.CharField(max_length=100)
    key_type = models.CharField(max_length=40)
    bits = models.PositiveIntegerField()
    public_key = models.TextField(help_text="The key in OpenSSH format: type, base64 data, optional comment.")
    fingerprint = models.CharField(max_length=60, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]
        verbose_name = "SSH key"
        verbose_name_plural = "SSH keys"

    def __str__(self) -> str:
        return f"{self.label} ({self.fingerprint})"


class ProviderGrant(models.Model):
    """The offline refresh token the identity provider gave at a user's last SSO login, encrypted.
    The periodic sync refreshes it: a refusal means the provider disabled, removed or signed out
    the user for good, and the user loses sessions and personal tokens; an answer carries their
    current roles and groups."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_grant")
    refresh_token = models.TextField(help_text="Encrypted with a key derived from SECRET_KEY.")
    obtained_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True, help_text="Last time the provider was asked.")
    last_error = models.CharField(max_length=300, blank=True, help_text="Why the last check did not conclude.")
    refused_at = models.DateTimeField(
        null=True, blank=True, help_text="When the provider refused the grant and the user was deactivated."
    )

    class Meta:
        verbose_name = "identity provider grant"
        indexes = [models.Index(fields=["checked_at"], name="grant_checked_idx")]

    def __str__(self) -> str:
        return f"Provider grant of {self.user}"


class CalendarFeed(models.Model):
    """One secret iCalendar link: the user's own bookings (no resource) or one resource's calendar.
    Only a digest of the secret is stored; making a new link for the same feed revokes the old one.
    `legacy` marks a link from before per-feed links, which opens every feed until revoked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    resource = models.ForeignKey(
        "resources.Resource", on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    legacy = models.BooleanField(default=False, help_text="An old link that opens every feed of the user.")
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise a link.")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "calendar feed link"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "resource"],
                condition=Q(revoked_at__isnull=True, legacy=False),
                nulls_distinct=False,
                name="one_live_link_per_feed",
                violation_error_message="This feed already has a live link; revoke it first.",
            )
        ]

    def __str__(self) -> str:
        if self.legacy:
            return f"Old calendar link of {self.user} ({self.prefix}…)"
        return f"{self.resource or 'Own bookings'} feed of {self.user} ({self.prefix}…)"

    @property
    def title(self) -> str:
        if self.legacy:
            return "Old link (opens every feed)"
        return self.resource.name if self.resource_id else "Your bookings"
