"""The bookings list is made row by row without DRF's field machinery; it must be exactly what the
serializer gives, for every kind of booking and viewer (masked or not)."""

import zoneinfo

import pytest
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from reservations import selectors
from reservations import services as bookings
from reservations.api.serializers import ReservationSerializer
from reservations.policies import approvals
from tests.factories import ResourceFactory, ResourceTypeFactory

from .conftest import at

pytestmark = pytest.mark.django_db


def test_rows_equal_the_serializers_output(member, second_member, site_admin, site_a, tree):
    needs_approval = ResourceFactory(
        site=site_a, resource_type=ResourceTypeFactory(site=site_a, name="Scope", requires_approval=True), name="scope"
    )
    bookings.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10), title="mine")
    theirs = bookings.reservation_create(
        actor=second_member, resource=tree["gpu1"], start=at(1, 9), end=at(1, 10), title="theirs"
    )
    bookings.reservation_cancel(actor=second_member, reservation=theirs, reason="gone")
    pending = bookings.reservation_create(actor=member, resource=needs_approval, start=at(2, 9), end=at(2, 11))
    other_pending = bookings.reservation_create(actor=member, resource=needs_approval, start=at(4, 9), end=at(4, 11))
    approvals.reservation_approve(actor=site_admin, reservation=pending)
    assert other_pending.status == "pending"
    bookings.series_create(
        actor=second_member,
        resource=tree["microscope"],
        start=at(3, 9),
        end=at(3, 10),
        rrule="FREQ=DAILY;COUNT=3",
        parameters={"sample": "cryo"},
    )
    for viewer, zone in (
        (member, "UTC"),
        (site_admin, "UTC"),
        (member, "Europe/Berlin"),
        (site_admin, "Asia/Kolkata"),
        (member, "America/St_Johns"),
    ):
        timezone.activate(zoneinfo.ZoneInfo(zone))  # a signed-in user's zone (accounts.middleware)
        request = APIRequestFactory().get("/api/reservations/")
        request.user = viewer
        context = {"request": request, "details_visible": selectors.details_visible_to(viewer)}
        instances = list(selectors.reservation_list(user=viewer).order_by("start", "pk"))
        expected = ReservationSerializer(instances, many=True, context=context).data
        values, render = ReservationSerializer(context=context).rows(
            selectors.reservation_list(user=viewer).order_by("start", "pk")
        )
        assert render(values) == [dict(row) for row in expected]
        assert any(not row["details_visible"] for row in expected) == (viewer == member)
        assert expected[0]["start"].endswith("Z" if zone == "UTC" else ("+01:00", "+05:30", "-03:30"))
        timezone.deactivate()


def test_the_api_list_uses_them(member_api, member, tree):
    bookings.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10), title="mine")
    body = member_api.get("/api/reservations/", {"start": timezone.now().isoformat(), "page_size": 5}).json()
    assert body["results"][0]["title"] == "mine" and body["results"][0]["cleanup_until"]


def test_pages_follow_the_lists_order(member_api, member, tree):
    """A page is the list read with LIMIT and OFFSET in its order: pages in a row give
    every booking once, in start order (and in reverse with ordering=-start)."""
    made = [
        bookings.reservation_create(actor=member, resource=r, start=at(day, hour), end=at(day, hour + 1))
        for day in (3, 1, 2)
        for hour in (11, 9)
        for r in (tree["gpu1"], tree["gpu0"])
    ]
    expected = [b.pk for b in sorted(made, key=lambda b: (b.start, b.pk))]
    for ordering, order in (("", expected), ("&ordering=-start", None)):
        seen = []
        for page in (1, 2, 3):  # 12 bookings, 4 a page
            body = member_api.get(f"/api/reservations/?page_size=4&page={page}{ordering}").json()
            seen += [row["id"] for row in body["results"]]
        assert len(set(seen)) == len(seen) == len(made) == body["count"]
        if order is not None:
            assert seen == order
        else:
            starts = {b.pk: b.start for b in made}
            assert [starts[pk] for pk in seen] == sorted(starts.values(), reverse=True)
