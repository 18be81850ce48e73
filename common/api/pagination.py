from django.core.paginator import PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination


class CountWhenNeededPaginator(DjangoPaginator):
    """Django's paginator, reading the page before the count: a page with fewer rows than a page
    holds is the last one, so the count is what comes before it plus its rows, and the list's
    count query (as dear as reading the page itself) is made only for a full or an empty page."""

    counted = None  # what to count instead of the page's rows (the list without the rows' joins)

    @cached_property
    def count(self):
        return super().count if self.counted is None else self.counted.count()

    def page(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1 or "count" in self.__dict__ or self.orphans:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if len(rows) == self.per_page or (not rows and number > 1):
            self.validate_number(number)  # counts; raises EmptyPage past the last page
        else:
            self.count = bottom + len(rows)  # the cached_property's value, known without asking
        return self._get_page(rows, number, self)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000
    known_count = counted = None

    def paginate_queryset(self, queryset, request, view=None, *, count: int | None = None, counted=None):
        """`count`: the list's count when the caller already read it; `counted`: what to count when
        it did not, if not `queryset` itself (common.api.row_lists pages values with joins)."""
        self.known_count, self.counted = count, counted
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page):
        paginator = CountWhenNeededPaginator(object_list, per_page)
        paginator.counted = self.counted
        if self.known_count is not None:
            paginator.count = self.known_count
        return paginator
