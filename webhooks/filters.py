import django_filters
from django import forms

from common.filters import ANY_YES_NO, ChoicesFilter, SearchFilterMixin, SiteRefFilter

from .models import Delivery, DeliveryStatus, Webhook


class WebhookFilter(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("name", "url")
    search = django_filters.CharFilter(method="filter_search")
    site = SiteRefFilter()

    class Meta:
        model = Webhook
        fields = ["site", "enabled", "scope"]


class DeliveryFilter(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("last_error", "event__type", "webhook__name")
    search = django_filters.CharFilter(method="filter_search", label="Search error, event type, webhook")
    webhook = django_filters.NumberFilter(field_name="webhook_id")
    event_type = django_filters.CharFilter(field_name="event__type")
    event = django_filters.UUIDFilter(field_name="event_id")
    status = ChoicesFilter(choices=DeliveryStatus.choices)
    success = django_filters.BooleanFilter(
        method="filter_success", label="Succeeded", widget=forms.Select(choices=ANY_YES_NO)
    )
    status_code = django_filters.NumberFilter(field_name="last_status_code")
    since = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="lt")

    class Meta:
        model = Delivery
        fields = ["webhook", "event_type", "event", "status", "success", "status_code", "since", "until"]

    def filter_success(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.filter(status=DeliveryStatus.SUCCEEDED)
            if value
            else queryset.exclude(status=DeliveryStatus.SUCCEEDED)
        )
