"""Sites, who belongs to them and in which role: the tenancy core every app scopes by.

The models keep the app labels, tables and migrations they were born with (`resources.Site`,
`accounts.Membership`); only their home in the code moved below both apps, so that `resources`
and `accounts` can each build on them without reaching each other."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel
from common.validators import validate_time_zone


class Site(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Raised by database triggers whenever the site's booking configuration (quota rules, webhooks,
    # booking templates) changes: hot paths keep that configuration per process, keyed by it.
    config_version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        app_label = "resources"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    ADMIN = "admin", "Site administrator"


class MembershipSource(models.TextChoices):
    LOCAL = "local", "Granted in Reservoir"
    OIDC = "oidc", "Keycloak group"


class Membership(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    source = models.CharField(max_length=10, choices=MembershipSource.choices, default=MembershipSource.LOCAL)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "accounts"
        ordering = ["site__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "user"],
                name="membership_one_per_site_and_user",
                violation_error_message="This user is already a member of this site.",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.site} ({self.get_role_display()})"
