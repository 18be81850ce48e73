"""A page of the bookings list is kept and served again only while its rows are unchanged
(common.api.row_cache): every kind of write to a booking or to what is shown with it makes the
next read fresh, and what one viewer was shown is never served to another."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Profile
from reservations import services as bookings
from reservations.models import Reservation
from resources.models import ResourceType
from tenancy.models import Membership, Role, Site

from .conftest import at

pytestmark = pytest.mark.django_db

URL = "/api/reservations/?page_size=2"


def _fresh(api, url=URL):
    """The list as it is made when nothing is kept."""
    from common.api import row_cache

    row_cache._pages.clear()
    return api.get(url).json()


@pytest.fixture
def booked(member, second_member, tree):
    mine = bookings.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10), title="a")
    theirs = bookings.reservation_create(
        actor=second_member, resource=tree["gpu1"], start=at(1, 9), end=at(1, 10), title="secret"
    )
    bookings.reservation_create(actor=member, resource=tree["gpu0"], start=at(2, 9), end=at(2, 10), title="c")
    return mine, theirs


def test_a_second_read_is_served_from_the_kept_page(member_api, booked):
    first = member_api.get(URL)
    with CaptureQueriesContext(connection) as queries:
        again = member_api.get(URL)
    assert again.status_code == 200 and again.json() == first.json()
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    # The viewer's roles and the one aggregate that checks the rows: no count, no rows read.
    assert len(queries.captured_queries) == 2, [q["sql"][:80] for q in queries.captured_queries]
    assert "hashtextextended" in queries.captured_queries[-1]["sql"]


@pytest.mark.parametrize(
    "change",
    [
        "saved",
        "queryset_update",
        "cancelled",
        "created",
        "resource_renamed",
        "site_renamed",
        "type_recoloured",
        "owner_renamed",
    ],
)
def test_every_change_to_what_a_page_shows_is_seen(change, member_api, member, booked, tree, site_a):
    mine, _ = booked
    before = member_api.get(URL).json()
    if change == "saved":
        mine.title = "renamed"
        mine.save()
    elif change == "queryset_update":
        Reservation.objects.filter(pk=mine.pk).update(description="no save(), no updated")
    elif change == "cancelled":
        bookings.reservation_cancel(actor=member, reservation=mine, reason="")
    elif change == "created":
        bookings.reservation_create(actor=member, resource=tree["gpu1"], start=at(1, 7), end=at(1, 8))
    elif change == "resource_renamed":
        tree["gpu0"].__class__.objects.filter(pk=tree["gpu0"].pk).update(name="gpu-zero")
    elif change == "site_renamed":
        Site.objects.filter(pk=site_a.pk).update(name="Berlin Mitte")
    elif change == "type_recoloured":
        ResourceType.objects.filter(pk=tree["gpu0"].resource_type_id).update(color="#000000")
    elif change == "owner_renamed":
        member.__class__.objects.filter(pk=member.pk).update(username="renamed-member")
    served = member_api.get(URL).json()
    assert served != before
    assert served == _fresh(member_api)


def test_a_kept_page_is_never_another_viewers(member_api, site_admin_api, api_for, second_member, booked):
    _, theirs = booked
    as_member = member_api.get(URL).json()
    as_admin = site_admin_api.get(URL).json()
    as_owner = api_for(second_member).get(URL).json()
    assert "secret" not in [r["title"] for r in as_member["results"]]
    assert "secret" in [r["title"] for r in as_admin["results"]]
    assert [r["title"] for r in as_owner["results"] if r["id"] == theirs.pk] == ["secret"]


def test_a_changed_role_or_time_zone_is_a_new_page(member_api, member, site_a, booked):
    before = member_api.get(URL).json()
    assert "secret" not in [r["title"] for r in before["results"]]
    Membership.objects.filter(user=member, site=site_a).update(role=Role.ADMIN)
    assert "secret" in [r["title"] for r in member_api.get(URL).json()["results"]]
    Profile.objects.update_or_create(user=member, defaults={"time_zone": "Asia/Kolkata"})
    member.refresh_from_db()
    zoned = member_api.get(URL).json()
    assert zoned == _fresh(member_api)


def test_a_list_much_longer_than_its_page_is_not_kept(member_api, booked, monkeypatch):
    """Checking a kept page reads every row of the list: for a small page of a long list that costs
    more than making the page, so such a list is remembered and read as if nothing were kept."""
    from common.api import row_cache

    monkeypatch.setattr(row_cache, "TOO_LONG", 2)
    url = "/api/reservations/?page_size=1"  # 3 bookings: three times the page
    first = member_api.get(url).json()
    for page in ("", "&page=2"):  # the list is too long, whichever page
        with CaptureQueriesContext(connection) as queries:
            assert member_api.get(url + page).status_code == 200
        assert not [q for q in queries.captured_queries if "hashtextextended" in q["sql"]]
    assert member_api.get(url).json() == first
    assert member_api.get("/api/reservations/?page_size=2").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        member_api.get("/api/reservations/?page_size=2")  # 1.5 times its page: kept
    assert len(queries.captured_queries) == 2


def test_other_formats_are_not_kept(member_api, booked):
    member_api.get(URL)
    page = member_api.get(URL + "&format=api", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"<html" in page.content.lower()


class TestCountWhenNeeded:
    """A page with fewer rows than a page holds tells the count itself (common.api.pagination)."""

    def test_a_short_page_makes_no_count_query(self, member, tree, api_for):
        bookings.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10))
        api = api_for(member)
        # The resources list is not kept (row_cache), so each read makes its queries.
        with CaptureQueriesContext(connection) as queries:
            body = api.get("/api/resources/?page_size=50").json()
        assert body["count"] == len(body["results"]) > 0
        assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]

    def test_full_pages_count_and_past_the_last_is_404(self, member, tree, api_for):
        api = api_for(member)
        total = api.get("/api/resources/?page_size=1000").json()["count"]
        assert total >= 3
        with CaptureQueriesContext(connection) as queries:
            first = api.get("/api/resources/?page_size=1").json()
        assert first["count"] == total and first["next"]
        assert [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
        last = api.get(f"/api/resources/?page_size=2&page={(total + 1) // 2}").json()
        assert last["count"] == total and last["next"] is None
        assert api.get("/api/resources/?page_size=2&page=last").json() == last
        assert api.get(f"/api/resources/?page_size=2&page={total + 5}").status_code == 404
        assert api.get("/api/resources/?page_size=2&page=0").status_code == 404
        assert api.get("/api/resources/?page_size=2&page=x").status_code == 404


def test_every_filter_serves_what_it_makes(member_api, booked, tree, site_a):
    for query in (
        "search=gpu",
        "search=secret",
        "owner=member",
        f"blocking={tree['gpu0'].pk}",
        f"type={tree['gpu0'].resource_type_id}",
        "status=confirmed&status=cancelled",
        "mine=true",
        f"start={at(1, 8).isoformat()}&end={at(1, 12).isoformat()}".replace("+", "%2B"),
        "ordering=-start",
        f"site={site_a.slug}",
    ):
        url = f"{URL}&{query}"
        made = _fresh(member_api, url)
        assert member_api.get(url).json() == made, query  # served from the kept page
        assert member_api.get(url).json() == made, query
