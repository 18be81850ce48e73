import django_filters
from django.db.models import Q

from common.filters import ChoicesFilter, SearchFilterMixin, SiteRefFilter
from common.web.forms import object_id

from .models import Reservation, ReservationStatus
from .selectors import details_visible_q, in_window, tree_ids


class ReservationFilter(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("title", "description", "resource__name")
    search = django_filters.CharFilter(method="filter_search", label="Search title, description, resource")
    resource = django_filters.NumberFilter(field_name="resource_id")
    blocking = django_filters.NumberFilter(
        method="filter_blocking",
        label="Bookings that block this resource id: its own, those of the resources it is part of, and of its parts",
    )
    site = SiteRefFilter(id_field="resource__site_id")
    type = django_filters.NumberFilter(field_name="resource__resource_type_id", label="Resource type id")
    owner = django_filters.CharFilter(method="filter_owner", label="Owner username")
    status = ChoicesFilter(choices=ReservationStatus.choices)
    series = django_filters.NumberFilter(field_name="series_id")
    lease = django_filters.NumberFilter(field_name="lease_id")
    start = django_filters.IsoDateTimeFilter(method="filter_window", label="Overlapping from (ISO 8601)")
    end = django_filters.IsoDateTimeFilter(method="filter_window", label="Overlapping until (ISO 8601)")
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only my bookings")

    class Meta:
        model = Reservation
        fields = ["resource", "blocking", "site", "type", "owner", "status", "series", "lease", "start", "end", "mine"]

    def _visible(self) -> Q:
        user = getattr(self.request, "user", None)
        return details_visible_q(user) if user is not None else Q()

    def filter_search(self, queryset, name, value):
        # The resource's name is public; title and description only where the viewer sees them.
        hidden_fields = Q(title__icontains=value) | Q(description__icontains=value)
        return queryset.filter(Q(resource__name__icontains=value) | (hidden_fields & self._visible()))

    def filter_owner(self, queryset, name, value):
        return queryset.filter(Q(owner__username=value) & self._visible())

    def filter_blocking(self, queryset, name, value):
        pk = object_id(value)
        return queryset.filter(resource_id__in=tree_ids(pk)) if pk else queryset.none()

    def filter_window(self, queryset, name, value):
        # Both ends are applied together, once, as one range (see selectors.in_window).
        if name == "end" and self.form.cleaned_data.get("start"):
            return queryset
        return in_window(queryset, self.form.cleaned_data.get("start"), self.form.cleaned_data.get("end"))

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value and user is not None:
            return queryset.filter(owner_id=user.pk)
        return queryset
