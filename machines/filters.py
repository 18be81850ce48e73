import django_filters

from .models import BookingUsage, UsageSample


class BookingUsageFilter(django_filters.FilterSet):
    resource = django_filters.NumberFilter(field_name="reservation__resource_id")
    site = django_filters.NumberFilter(field_name="reservation__resource__site_id")
    owner = django_filters.CharFilter(field_name="reservation__owner__username")
    start_after = django_filters.IsoDateTimeFilter(field_name="reservation__start", lookup_expr="gte")
    start_before = django_filters.IsoDateTimeFilter(field_name="reservation__start", lookup_expr="lt")

    class Meta:
        model = BookingUsage
        fields = ["reservation"]


class UsageSampleFilter(django_filters.FilterSet):
    taken_after = django_filters.IsoDateTimeFilter(field_name="taken_at", lookup_expr="gte")
    taken_before = django_filters.IsoDateTimeFilter(field_name="taken_at", lookup_expr="lt")

    class Meta:
        model = UsageSample
        fields = ["resource"]
