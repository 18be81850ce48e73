from django.db.models import Q


class SearchFilterMixin:
    search_fields: tuple[str, ...] = ()

    def filter_search(self, queryset, name, value):
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)
