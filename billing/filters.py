import django_filters

from .models import Adjustment, Budget, Charge, Project, ProjectMember

# Ids, not choices: a list of choices would name other sites' objects in the browsable API.


class ProjectFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="sites")
    pi = django_filters.CharFilter(field_name="pi__username")
    search = django_filters.CharFilter(method="by_text")

    class Meta:
        model = Project
        fields = ["status", "price_group"]

    def by_text(self, queryset, name, value):
        return queryset.filter(name__icontains=value) | queryset.filter(code__icontains=value)


class MemberFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project_id")
    user = django_filters.CharFilter(field_name="user__username")

    class Meta:
        model = ProjectMember
        fields = []


class BudgetFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project_id")
    resource_type = django_filters.NumberFilter(field_name="resource_type_id")

    class Meta:
        model = Budget
        fields = ["period"]


class ChargeFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="site_id")
    project = django_filters.NumberFilter(field_name="project_id")
    resource_type = django_filters.NumberFilter(field_name="resource_type_id")
    owner = django_filters.CharFilter(field_name="owner__username")
    start_after = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="gte")
    start_before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt")

    class Meta:
        model = Charge
        fields = ["rule"]


class AdjustmentFilter(django_filters.FilterSet):
    charge = django_filters.NumberFilter(field_name="charge_id")
    project = django_filters.NumberFilter(field_name="charge__project_id")
    site = django_filters.NumberFilter(field_name="charge__site_id")

    class Meta:
        model = Adjustment
        fields = ["status"]
