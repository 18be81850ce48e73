"""Lists made from rows, not model instances (issue 17): the filtered, ordered list is read with
`values_list()` and rendered by the serializer's `rows()`. A page is that one query with LIMIT and
OFFSET (the list's order comes off an index, and only the page's rows are joined and formatted);
its count is asked only when the page alone does not tell it (see common.api.pagination).

A view with `row_cache = True` keeps each rendered JSON page and serves it again while the list's
rows are unchanged (see common.api.row_cache); its `row_cache_viewer(request)` says what decides
what a viewer is shown, for the key."""

from rest_framework.response import Response

from common.api import row_cache


class RowListMixin:
    row_cache = False

    def row_cache_viewer(self, request):
        raise NotImplementedError("a view with row_cache = True says what decides what a viewer is shown")

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        serializer = self.get_serializer()
        key, whole = self._page_keys(request, queryset)
        versions = None
        if key is not None:
            versions = row_cache.versions_of(queryset, serializer.row_plan())
            found = row_cache.served(key, versions)
            if found is not None:
                return found
        values, render = serializer.rows(queryset)
        page = self._page(values, count=None if versions is None else versions[0], counted=queryset)
        response = Response(render(values)) if page is None else self.get_paginated_response(render(page))
        if key is not None:
            shown = self.paginator.get_page_size(request) if page is not None else None
            if shown and versions[0] > row_cache.TOO_LONG * shown:
                row_cache.remember_too_long(whole)
            else:
                row_cache.keep(key, versions, response)
        return response

    def _page(self, values, *, count, counted):
        if self.paginator is None:
            return None
        return self.paginator.paginate_queryset(values, self.request, view=self, count=count, counted=counted)

    def _page_keys(self, request, queryset) -> tuple[str | None, str | None]:
        """(the kept page's key, its list's key), or Nones when this list is not kept: not asked
        as JSON, or known to be too long for keeping its pages to pay."""
        renderer = getattr(request, "accepted_renderer", None)
        if not self.row_cache or renderer is None or renderer.format != "json" or queryset.query.distinct:
            return None, None
        key, whole = row_cache.page_keys(self, request)
        return (None, None) if row_cache.too_long(whole) else (key, whole)
