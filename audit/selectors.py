from django.db.models import Count, Q, QuerySet

from tenancy.access import administered_site_ids, is_global_admin

from .models import AuditEntry


def audit_entry_list(*, user) -> QuerySet[AuditEntry]:
    """Global administrators: everything. Site administrators: their sites' entries and their own.
    Members: their own."""
    entries = AuditEntry.objects.all()
    if user is None or not getattr(user, "is_authenticated", False):
        return entries.none()
    if is_global_admin(user):
        return entries
    sites = administered_site_ids(user) or set()
    return entries.filter(Q(actor_id=user.pk) | Q(site_id__in=sites))


def audit_counts(entries: QuerySet[AuditEntry]) -> dict:
    return {
        "total": entries.count(),
        "by_category": dict(
            entries.order_by().values_list("category").annotate(n=Count("id")).values_list("category", "n")
        ),
        "by_severity": dict(
            entries.order_by().values_list("severity").annotate(n=Count("id")).values_list("severity", "n")
        ),
    }
