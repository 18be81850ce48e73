import django_filters
from django.db.models import Q

from common.filters import ChoicesFilter, SearchFilterMixin, SiteRefFilter
from tenancy.models import Site

from . import attribute_filter
from .models import Resource, ResourceStatus, ResourceType


class SiteFilter(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("name", "slug", "description", "location")
    search = django_filters.CharFilter(method="filter_search", label="Search name, slug, description, location")
    slug = django_filters.CharFilter()

    class Meta:
        model = Site
        fields = ["slug", "time_zone"]


class ResourceTypeFilter(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("name", "description")
    search = django_filters.CharFilter(method="filter_search", label="Search name and description")
    site = SiteRefFilter(label="Types of this site only (id or slug)")
    is_global = django_filters.BooleanFilter(field_name="site", lookup_expr="isnull", label="Types for all sites")
    available_at = django_filters.NumberFilter(method="filter_available_at", label="Types usable at this site")

    class Meta:
        model = ResourceType
        fields = ["site", "name"]

    def filter_available_at(self, queryset, name, value):
        return queryset.filter(Q(site_id=value) | Q(site__isnull=True))


class ResourceFilter(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("name", "description", "specs", "location", "attributes")
    search = django_filters.CharFilter(
        method="filter_search", label="Search name, description, specs, location and attribute values"
    )
    site = SiteRefFilter()
    site_slug = django_filters.CharFilter(field_name="site__slug")
    type = django_filters.NumberFilter(field_name="resource_type_id", label="Resource type id")
    status = ChoicesFilter(choices=ResourceStatus.choices)
    parent = django_filters.NumberFilter(field_name="parent_id")
    is_root = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull", label="Top-level resources only")
    where = django_filters.CharFilter(
        method="filter_where",
        label="Attributes, e.g. gpu_memory_gb >= 80, gpu_model = A100, interconnect in (nvlink, infiniband)",
    )

    class Meta:
        model = Resource
        fields = ["site", "site_slug", "type", "status", "parent", "is_root", "name", "where"]

    def filter_where(self, queryset, name, value):
        return attribute_filter.apply(queryset, value)
