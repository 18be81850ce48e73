"""The bookings list is made row by row without DRF's field machinery; it must be exactly what the
serializer gives, for every kind of booking and viewer (masked or not)."""

import pytest
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from reservations import approvals, selectors
from reservations import services as bookings
from reservations.api.serializers import ReservationSerializer
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
    for viewer in (member, site_admin):
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


def test_the_api_list_uses_them(member_api, member, tree):
    bookings.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10), title="mine")
    body = member_api.get("/api/reservations/", {"start": timezone.now().isoformat(), "page_size": 5}).json()
    assert body["results"][0]["title"] == "mine" and body["results"][0]["cleanup_until"]
