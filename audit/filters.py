import django_filters

from common.filters import ChoicesFilter, SearchFilterMixin, SiteRefFilter

from .models import AuditEntry, Severity


class AuditEntryFilter(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("object_repr", "message", "actor_username", "action", "request_id")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte", label="From (ISO 8601)")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt", label="Until (ISO 8601)")
    actor = django_filters.CharFilter(field_name="actor_username", label="Actor username")
    actor_id = django_filters.NumberFilter()
    action = django_filters.CharFilter()
    category = django_filters.CharFilter()
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    site = SiteRefFilter()
    severity = ChoicesFilter(choices=Severity.choices)
    search = django_filters.CharFilter(method="filter_search", label="Search")

    class Meta:
        model = AuditEntry
        fields = [
            "since",
            "until",
            "actor",
            "actor_id",
            "action",
            "category",
            "object_type",
            "object_id",
            "site",
            "severity",
        ]
