import django_filters
from django.apps import apps
from django.db.models import Q

from common.web.forms import object_id
from common.web.widgets import ChoicesDropdown

# A yes/no filter on a page says "Any", not a null boolean's "Unknown".
ANY_YES_NO = [("", "Any"), ("true", "Yes"), ("false", "No")]


class SearchFilterMixin:
    search_fields: tuple[str, ...] = ()

    def filter_search(self, queryset, name, value):
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)


class SiteRefFilter(django_filters.CharFilter):
    """`?site=` takes a site's id or its slug, the same way on every endpoint."""

    def __init__(self, id_field: str = "site_id", **kwargs):
        kwargs.setdefault("label", "Site id or slug")
        super().__init__(method=self.by_site, **kwargs)
        self.id_field = id_field

    def by_site(self, queryset, name, value):
        if value.isdigit():
            pk = object_id(value)
            return queryset.filter(**{self.id_field: pk}) if pk else queryset.none()
        # By the app registry, not an import: plumbing below the catalogue names its sites by slug.
        sites = apps.get_model("resources", "Site").objects.filter(slug=value)
        return queryset.filter(**{f"{self.id_field}__in": sites.values("pk")})


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """One or more values of the model's own column. No row can match twice, so no DISTINCT
    (django-filter's default for this filter, which made a week's count and page de-duplicate
    every row)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        kwargs.setdefault("widget", ChoicesDropdown)
        super().__init__(*args, **kwargs)

    @property
    def field(self):
        field = super().field
        field.widget.label = field.label  # its summary is named by it for a screen reader
        return field
