from collections import Counter

from django.urls import get_resolver, reverse


def _names(resolver, namespace=""):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern, inner)
        elif pattern.name:
            yield namespace + pattern.name, pattern.lookup_str


def test_no_two_routes_share_a_name():
    """A page and an API route of one name made page links resolve to the API (reverse takes the last)."""
    # The same view under two patterns (DRF's format suffixes) is one route.
    repeated = [name for name, count in Counter(name for name, _ in set(_names(get_resolver()))).items() if count > 1]
    assert repeated == []


def test_page_names_resolve_to_pages_and_api_names_to_the_api():
    assert reverse("reservation-detail", args=[1]) == "/reservations/1/"
    assert reverse("webhook-list") == "/webhooks/"
    assert reverse("api:webhook-list") == "/api/webhooks/"


def test_the_api_root_lists_every_collection(admin_api):
    listed = admin_api.get("/api/").json()
    for name in ("reservation-list", "webhook-list", "allocation-list", "audit-entry-list", "user-list", "site-list"):
        assert name in listed, name
    assert listed["reservation-list"].endswith("/api/reservations/")


def test_api_requests_are_resolved_before_any_page_pattern_is_tried():
    """Django tries patterns in order: the API's include comes before the pages' (issue 39's profile
    had a tenth of a one-object read matching /api/... against every page first)."""
    roots = [str(pattern.pattern) for pattern in get_resolver().url_patterns]
    first_page = next(i for i, route in enumerate(roots) if route not in ("healthz", "readyz", "api/"))
    assert roots.index("api/") < first_page
