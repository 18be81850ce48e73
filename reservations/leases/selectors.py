"""Reads of leases, scoped to what a user may see."""

from django.db.models import Q, QuerySet

from tenancy.access import administered_site_ids

from .models import Lease


def lease_list(*, user) -> QuerySet[Lease]:
    """Leases the user owns or administers the site of (a member sees the bookings as busy time)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Lease.objects.none()
    sites = administered_site_ids(user)
    found = Lease.objects.all() if sites is None else Lease.objects.filter(Q(owner_id=user.pk) | Q(site_id__in=sites))
    return found.select_related("site", "resource_type", "owner")
