import django_filters
from django import forms
from django.contrib.auth import get_user_model

from common.filters import ANY_YES_NO, SearchFilterMixin, SiteRefFilter
from tenancy.models import Role

# Said as people say it on the users page, not as a null boolean ("Unknown").
ACCOUNT_STATES = [("", "Any"), ("true", "Active"), ("false", "Deactivated")]


class UserFilter(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("username", "email", "first_name", "last_name")
    search = django_filters.CharFilter(method="filter_search", label="Search username, email, name")
    site = SiteRefFilter(id_field="memberships__site_id", distinct=True, label="Member of site (id or slug)")
    role = django_filters.ChoiceFilter(field_name="memberships__role", choices=Role.choices, distinct=True)
    is_active = django_filters.BooleanFilter(label="Active", widget=forms.Select(choices=ACCOUNT_STATES))
    is_global_admin = django_filters.BooleanFilter(
        field_name="is_superuser", label="Global administrator", widget=forms.Select(choices=ANY_YES_NO)
    )

    class Meta:
        model = get_user_model()
        fields = ["search", "site", "role", "is_active", "is_global_admin"]
