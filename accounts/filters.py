import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q

from .models import Role


class UserFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Search username, email, name")
    site = django_filters.NumberFilter(field_name="memberships__site_id", distinct=True, label="Member of site")
    role = django_filters.ChoiceFilter(field_name="memberships__role", choices=Role.choices, distinct=True)
    is_active = django_filters.BooleanFilter()
    is_global_admin = django_filters.BooleanFilter(field_name="is_superuser")

    class Meta:
        model = get_user_model()
        fields = ["search", "site", "role", "is_active", "is_global_admin"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(username__icontains=value)
            | Q(email__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
        )
