from django.db.models import Count, Q, QuerySet

from tenancy.access import administered_site_ids, scope_to_sites, visible_site_ids

from .models import Allocation, AllocationConflict, BookingTemplate


def allocation_list(*, user) -> QuerySet[Allocation]:
    """Allocations of the sites the user belongs to."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Allocation.objects.none()
    return scope_to_sites(Allocation.objects.select_related("site", "owner"), visible_site_ids(user))


def booking_templates_visible(*, user) -> QuerySet[BookingTemplate]:
    """Links of the sites the user administers, and those of types shared by all sites."""
    found = BookingTemplate.objects.select_related("template", "resource_type", "resource")
    sites = administered_site_ids(user)
    if sites is None:
        return found
    if not sites:
        return found.none()
    return found.filter(
        Q(resource__site_id__in=sites)
        | Q(resource_type__site_id__in=sites)
        | Q(resource__isnull=True, resource_type__site__isnull=True)
    )


def conflict_list(*, user) -> QuerySet[AllocationConflict]:
    if user is None or not getattr(user, "is_authenticated", False):
        return AllocationConflict.objects.none()
    return scope_to_sites(
        AllocationConflict.objects.select_related("held_by", "attempted_by"), administered_site_ids(user), "site_id"
    )


def summary(allocations: QuerySet[Allocation]) -> dict:
    def by(field: str) -> dict:
        rows = allocations.order_by().values(field).annotate(n=Count("id"))
        return {row[field]: row["n"] for row in rows}

    return {
        "total": allocations.count(),
        "by_type": by("resource_type"),
        "by_status": by("status"),
        "by_environment": by("environment"),
    }
