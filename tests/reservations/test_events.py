"""Every path that changes bookings announces each booking it touched, once, with the booking in
the event (the outbox row a webhook receiver gets). One row per door: API, pages, admin, tasks."""

from collections import Counter
from datetime import UTC

import pytest
from django.utils import timezone
from freezegun import freeze_time

from reservations import services
from reservations.models import Reservation
from reservations.tasks import fire_boundary
from webhooks.models import Event

from .conftest import BERLIN, at

pytestmark = pytest.mark.django_db


def announced(event_type: str) -> Counter:
    """{reservation id: number of `event_type` events carrying it}."""
    return Counter(
        Event.objects.filter(type=event_type).values_list("payload__data__reservation__id", flat=True).iterator()
    )


def assert_announced_once(event_type: str, bookings) -> None:
    ids = sorted(b.pk for b in bookings)
    counts = announced(event_type)
    assert {pk: counts[pk] for pk in ids} == dict.fromkeys(ids, 1), (event_type, counts)
    for event in Event.objects.filter(type=event_type, payload__data__reservation__id__in=ids):
        data = event.payload["data"]
        booking = Reservation.objects.get(pk=data["reservation"]["id"])
        assert data["resource"]["id"] == booking.resource_id
        assert data["owner"]["username"] == booking.owner.username
        assert data["reservation"]["start"] == booking.start.astimezone(UTC).isoformat()


def local(moment) -> str:
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def series(member, tree):
    return services.series_create(
        actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10), rrule="FREQ=WEEKLY;COUNT=3"
    )


def occurrences(series_result):
    return list(series_result.series.occurrences.order_by("start"))


# --- Creating ---------------------------------------------------------------------------------


def test_api_single_create(member_api, tree):
    response = member_api.post(
        "/api/reservations/",
        {"resource": tree["gpu0"].pk, "start": at(1, 9).isoformat(), "end": at(1, 10).isoformat()},
        format="json",
    )
    assert response.status_code == 201
    assert_announced_once("reservation.created", [Reservation.objects.get(pk=response.json()["id"])])


def test_api_series_create_announces_the_series_and_each_booking(member_api, tree):
    response = member_api.post(
        "/api/reservations/series/",
        {
            "resource": tree["gpu0"].pk,
            "start": at(1, 9).isoformat(),
            "end": at(1, 10).isoformat(),
            "rrule": "FREQ=WEEKLY;COUNT=3",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    bookings = list(Reservation.objects.filter(series_id=response.json()["series"]))
    assert len(bookings) == 3
    assert_announced_once("reservation.created", bookings)
    (series_event,) = Event.objects.filter(type="reservation.series_created")
    data = series_event.payload["data"]
    assert sorted(data["series"]["reservation_ids"]) == sorted(b.pk for b in bookings)
    assert data["series"]["rrule"] == "FREQ=WEEKLY;COUNT=3" and data["owner"]["username"] == "member"


def test_page_single_and_series_create(client, member, tree):
    client.force_login(member)
    form = {"resource": tree["gpu0"].pk, "start": local(at(1, 9)), "end": local(at(1, 10)), "title": "one"}
    assert client.post("/reservations/new/", form).status_code == 302
    form |= {"start": local(at(2, 9)), "end": local(at(2, 10)), "repeat": "DAILY", "repeat_count": 2}
    assert client.post("/reservations/new/", form).status_code == 302
    assert_announced_once("reservation.created", Reservation.objects.all())
    assert Reservation.objects.count() == 3 and Event.objects.filter(type="reservation.series_created").count() == 1


# --- Changing -----------------------------------------------------------------------------------


def test_api_drag_of_a_single_booking(member_api, member, tree):
    booking = services.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10))
    response = member_api.patch(
        f"/api/reservations/{booking.pk}/",
        {"start": at(1, 11).isoformat(), "end": at(1, 12).isoformat()},
        format="json",
    )
    assert response.status_code == 200
    assert_announced_once("reservation.updated", [booking])


@pytest.mark.parametrize(("scope", "touched"), [("this", [1]), ("following", [1, 2]), ("all", [0, 1, 2])])
def test_api_series_update_by_scope(member_api, series, scope, touched):
    bookings = occurrences(series)
    target = bookings[1]
    response = member_api.patch(f"/api/reservations/{target.pk}/?scope={scope}", {"title": "renamed"}, format="json")
    assert response.status_code == 200, response.content
    assert_announced_once("reservation.updated", [bookings[i] for i in touched])
    assert announced("reservation.updated").keys() == {bookings[i].pk for i in touched}


@pytest.mark.parametrize(("scope", "touched"), [("this", [1]), ("following", [1, 2]), ("all", [0, 1, 2])])
def test_page_series_edit_by_scope(client, member, series, scope, touched):
    bookings = occurrences(series)
    target = bookings[1]
    client.force_login(member)
    form = {
        "resource": target.resource_id,
        "start": local(target.start),
        "end": local(target.end),
        "title": "renamed on the page",
        "scope": scope,
    }
    response = client.post(f"/reservations/{target.pk}/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_announced_once("reservation.updated", [bookings[i] for i in touched])
    assert announced("reservation.updated").keys() == {bookings[i].pk for i in touched}


# --- Cancelling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "touched"), [("this", [1]), ("following", [1, 2]), ("all", [0, 1, 2])])
def test_api_series_cancel_by_scope(member_api, series, scope, touched):
    bookings = occurrences(series)
    response = member_api.delete(f"/api/reservations/{bookings[1].pk}/?scope={scope}")
    assert response.status_code == 200
    assert_announced_once("reservation.cancelled", [bookings[i] for i in touched])
    assert announced("reservation.cancelled").keys() == {bookings[i].pk for i in touched}


@pytest.mark.parametrize(("scope", "touched"), [("this", [1]), ("following", [1, 2]), ("all", [0, 1, 2])])
def test_page_series_cancel_by_scope(client, member, series, scope, touched):
    bookings = occurrences(series)
    client.force_login(member)
    assert client.post(f"/reservations/{bookings[1].pk}/cancel/", {"scope": scope}).status_code == 302
    assert_announced_once("reservation.cancelled", [bookings[i] for i in touched])
    assert announced("reservation.cancelled").keys() == {bookings[i].pk for i in touched}


def test_api_resource_status_change_cancelling_future_bookings(admin_api, member, tree, series):
    single = services.reservation_create(actor=member, resource=tree["server"], start=at(2, 9), end=at(2, 10))
    response = admin_api.post(
        f"/api/resources/{tree['server'].pk}/status/",
        {"status": "maintenance", "cancel_future_bookings": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    # The server's own booking and its GPU's series: the tree goes out of service together.
    assert_announced_once("reservation.cancelled", [single, *occurrences(series)])


def test_admin_action_cancelling_future_bookings(client, admin_user, member, tree):
    booking = services.reservation_create(
        actor=member, resource=tree["microscope"], start=at(1, 9), end=at(1, 10), parameters={"sample": "rt"}
    )
    client.force_login(admin_user)
    response = client.post(
        "/admin/resources/resource/",
        {"action": "mark_unavailable_and_cancel", "_selected_action": [tree["microscope"].pk]},
    )
    assert response.status_code == 302
    assert_announced_once("reservation.cancelled", [booking])


def test_cancelling_a_running_booking_also_ends_it_even_from_a_stale_object(member, tree):
    booking = services.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10))
    with freeze_time(booking.start + timezone.timedelta(minutes=5)):
        assert fire_boundary(booking.pk, "started")
        services.reservation_cancel(actor=member, reservation=booking)
    for kind in ("started", "cancelled", "ended"):
        assert_announced_once(f"reservation.{kind}", [booking])


def test_scheduled_boundaries(member, tree):
    booking = services.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10))
    with freeze_time(booking.end):
        assert fire_boundary(booking.pk, "ended")  # catches up on the start first
    for kind in ("started", "ended"):
        assert_announced_once(f"reservation.{kind}", [booking])
