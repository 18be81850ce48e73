import django_filters

from common.filters import ChoicesFilter, SearchFilterMixin, SiteRefFilter

from .kinds import Kind
from .models import Allocation, AllocationStatus


class AllocationFilter(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("resource_name", "resource_value", "owner_service", "description", "notes")
    search = django_filters.CharFilter(method="filter_search", label="Search name, value, owner, description, notes")
    resource_type = ChoicesFilter(choices=Kind.choices)
    status = ChoicesFilter(choices=AllocationStatus.choices)
    site = SiteRefFilter()
    booking = django_filters.NumberFilter(field_name="booking_id", label="Booking id (allocations it holds)")

    class Meta:
        model = Allocation
        fields = [
            "resource_type",
            "resource_name",
            "status",
            "owner_service",
            "environment",
            "server_hostname",
            "site",
            "is_locked",
            "booking",
        ]
