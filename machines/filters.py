import django_filters

from .models import BookingUsage, MachineToken, UsagePolicy, UsageSample


class BookingUsageFilter(django_filters.FilterSet):
    resource = django_filters.NumberFilter(field_name="reservation__resource_id")
    site = django_filters.NumberFilter(field_name="reservation__resource__site_id")
    owner = django_filters.CharFilter(field_name="reservation__owner__username")
    start_after = django_filters.IsoDateTimeFilter(field_name="reservation__start", lookup_expr="gte")
    start_before = django_filters.IsoDateTimeFilter(field_name="reservation__start", lookup_expr="lt")

    reservation = django_filters.NumberFilter(field_name="reservation_id")

    class Meta:
        model = BookingUsage
        fields = []


# Ids, not choices: a list of choices would name other sites' resources in the browsable API.


class UsageSampleFilter(django_filters.FilterSet):
    resource = django_filters.NumberFilter(field_name="resource_id")
    taken_after = django_filters.IsoDateTimeFilter(field_name="taken_at", lookup_expr="gte")
    taken_before = django_filters.IsoDateTimeFilter(field_name="taken_at", lookup_expr="lt")

    class Meta:
        model = UsageSample
        fields = []


class MachineTokenFilter(django_filters.FilterSet):
    resource = django_filters.NumberFilter(field_name="resource_id")

    class Meta:
        model = MachineToken
        fields = []


class UsagePolicyFilter(django_filters.FilterSet):
    resource_type = django_filters.NumberFilter(field_name="resource_type_id")

    class Meta:
        model = UsagePolicy
        fields = []
