"""Pages of a row list kept by each worker and served again while nothing in them changed (issue 39):
the calendar asks for the same week of a site over and over, and making 1,000 bookings into JSON
again is the dear part of it.

A kept page is served only when its rows have not changed since it was made. The check is one
aggregate over the list's own filtered rows: how many there are, and a hash of each row's id and
version (`xmin` and `cmin`) together with the version of every row joined into it (resource,
site, type, owner, ...). PostgreSQL gives a row a new version on every write, whoever makes it and
however (a service's save, a queryset update, a trigger, the admin), so no writer has to remember to
invalidate anything.
What depends on the viewer (the sites and roles that scope and mask the list, the time zone) is in
the key. Only a list whose rows are made of columns of the row and of rows joined to it asks for
this (`row_cache = True` on the view): an aggregate over children, say, would change without any of
those versions changing."""

import hashlib
import threading
from collections import OrderedDict

from django.conf import settings
from django.db.models import BigIntegerField, Count, F, Func, Sum
from django.http import HttpResponse
from django.utils import timezone


class _RowVersions(Func):
    """hashtextextended of a row's id, its xmin and the xmin of each joined row the plan reads a
    column of, for a Sum over the list: any write to any of them changes it."""

    output_field = BigIntegerField()

    def __init__(self, joined_paths):
        super().__init__(F("pk"), *(F(path) for path in joined_paths))

    def as_sql(self, compiler, connection, **extra):
        columns = self.get_source_expressions()
        base, params = compiler.compile(columns[0])
        aliases = dict.fromkeys(compiler.quote_name_unless_alias(column.alias) for column in columns)
        # cmin too: writes made in one transaction share its xmin, not their command id.
        versions = ", ".join(f"{alias}.xmin, {alias}.cmin" for alias in aliases)
        return f"hashtextextended(concat_ws(',', {base}, {versions}), 0)", params


def _joined_paths(plan) -> list[str]:
    """The plan's columns read through a relation ("resource__site__name"): each one brings the
    joined row it is read from, whose version then counts."""
    return [path for path in plan.paths if "__" in path]


class PageCache:
    """A bounded LRU of rendered pages in this process: key -> (versions, content type, bytes)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.pages: OrderedDict = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()  # gthread workers share the process

    def get(self, key, versions):
        with self.lock:
            found = self.pages.get(key)
            if found is None or found[0] != versions:
                return None
            self.pages.move_to_end(key)
            return found

    def put(self, key, versions, content_type: str, content: bytes) -> None:
        if len(content) > self.max_bytes // 4:
            return
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= len(old[2])
            self.pages[key] = (versions, content_type, content)
            self.size += len(content)
            while self.size > self.max_bytes:
                _, dropped = self.pages.popitem(last=False)
                self.size -= len(dropped[2])

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()
            self.size = 0


_pages = PageCache(settings.ROW_LIST_CACHE_BYTES)


def page_keys(view, request) -> tuple[str, str]:
    """(this page's key, the key of the list it is a page of): what it is, for whom (the view's
    `row_cache_viewer`: whatever decides what this viewer is shown), in which zone."""
    viewer = (view.row_cache_viewer(request), timezone.get_current_timezone_name())
    page_param = view.paginator.page_query_param if view.paginator is not None else None
    params = sorted((name, value) for name, value in request.query_params.lists() if name != page_param)
    page = request.query_params.get(page_param) if page_param else None

    def digest(*parts) -> str:
        return hashlib.sha256(repr((type(view).__module__, type(view).__qualname__, *parts)).encode()).hexdigest()

    whole = digest(request.path, params, viewer)
    return digest(whole, page), whole


# A kept page is checked against every row of its list, and what it saves is making the page: when the
# list is this many times longer than its page, the check costs more than it saves (a page of 50 of
# 10,000 bookings: 10 ms checking against 2 ms making it). Such lists are remembered and not kept.
TOO_LONG = 20
_too_long: OrderedDict = OrderedDict()


def too_long(list_key: str) -> bool:
    return list_key in _too_long


def remember_too_long(list_key: str) -> None:
    with _pages.lock:
        _too_long[list_key] = None
        if len(_too_long) > 4096:
            _too_long.popitem(last=False)


def versions_of(queryset, plan) -> tuple:
    """(how many rows, a hash of their versions) of the filtered list, in one query."""
    found = queryset.order_by().aggregate(rows=Count("pk"), versions=Sum(_RowVersions(_joined_paths(plan))))
    return found["rows"], found["versions"]


def served(key, versions) -> HttpResponse | None:
    found = _pages.get(key, versions)
    if found is None:
        return None
    return HttpResponse(found[2], content_type=found[1])


def keep(key, versions, response) -> None:
    """After `response` is rendered: keep its bytes for the next request with the same versions."""

    def store(rendered):
        if rendered.status_code == 200:
            _pages.put(key, versions, rendered["Content-Type"], rendered.content)

    response.add_post_render_callback(store)
