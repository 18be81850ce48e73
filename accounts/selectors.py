"""Reads about people, scoped by role: one function per model."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from tenancy.access import administered_site_ids, is_global_admin
from tenancy.models import Membership

from .models import ApiToken, CalendarFeed, SshKey

User = get_user_model()


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def user_list(*, user) -> QuerySet:
    """Global administrators: everyone. Site administrators: the members of their sites and
    themselves. Members: themselves."""
    users = User.objects.all()
    if not _signed_in(user):
        return users.none()
    if not is_global_admin(user):
        sites = administered_site_ids(user) or set()
        users = users.filter(Q(pk=user.pk) | Q(memberships__site_id__in=sites)).distinct()
    return users.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("site").order_by("site__name"))
    ).order_by("username")


def membership_list(*, user) -> QuerySet[Membership]:
    """Memberships of the sites the user administers, and the user's own."""
    memberships = Membership.objects.select_related("site", "user")
    if not _signed_in(user):
        return memberships.none()
    if not is_global_admin(user):
        sites = administered_site_ids(user) or set()
        memberships = memberships.filter(Q(user=user) | Q(site_id__in=sites))
    return memberships.order_by("site__name", "user__username")


def ssh_key_list(*, user) -> QuerySet[SshKey]:
    """Your own keys (global administrators see everyone's in the admin)."""
    if not _signed_in(user):
        return SshKey.objects.none()
    return SshKey.objects.filter(user=user).order_by("label", "pk")


def api_token_list(*, user) -> QuerySet[ApiToken]:
    if not _signed_in(user):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created")


def calendar_feed_list(*, user) -> QuerySet[CalendarFeed]:
    """The user's live calendar links."""
    if not _signed_in(user):
        return CalendarFeed.objects.none()
    return CalendarFeed.objects.filter(user=user, revoked_at=None).select_related("resource").order_by("-created")
