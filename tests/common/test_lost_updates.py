"""Lost updates: object reads carry an ETag, writes with a stale If-Match are refused (412, with
the current version), and the booking pages and the admin refuse a save made from an old form."""

import pytest

from reservations import services
from reservations.models import Reservation
from tests.concurrency import race
from tests.factories import ResourceFactory
from tests.reservations.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(member, site_a):
    gpu = ResourceFactory(site=site_a, name="gpu-e")
    return services.reservation_create(actor=member, resource=gpu, start=at(2, 10), end=at(2, 11), title="first")


def test_every_object_read_has_an_etag(member_api, booking, site_a):
    for path in (
        f"/api/reservations/{booking.pk}/",
        f"/api/resources/{booking.resource_id}/",
        f"/api/sites/{site_a.pk}/",
    ):
        response = member_api.get(path)
        assert response.status_code == 200 and response["ETag"].startswith('"'), path


def test_a_stale_if_match_is_refused_with_the_current_version(member_api, booking):
    tag = member_api.get(f"/api/reservations/{booking.pk}/")["ETag"]
    first = member_api.patch(f"/api/reservations/{booking.pk}/", {"title": "mine"}, format="json", HTTP_IF_MATCH=tag)
    assert first.status_code == 200 and first["ETag"] != tag
    stale = member_api.patch(f"/api/reservations/{booking.pk}/", {"title": "theirs"}, format="json", HTTP_IF_MATCH=tag)
    assert stale.status_code == 412
    body = stale.json()
    assert body["code"] == "stale" and body["current"]["title"] == "mine" and stale["ETag"] == first["ETag"]
    assert Reservation.objects.get(pk=booking.pk).title == "mine"
    gone = member_api.delete(f"/api/reservations/{booking.pk}/", HTTP_IF_MATCH=tag)
    assert gone.status_code == 412 and Reservation.objects.get(pk=booking.pk).status == "confirmed"
    fresh = member_api.delete(f"/api/reservations/{booking.pk}/", HTTP_IF_MATCH=first["ETag"])
    assert fresh.status_code == 200


def test_without_if_match_writes_go_through(member_api, booking):
    assert member_api.patch(f"/api/reservations/{booking.pk}/", {"title": "x"}, format="json").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_writers_with_the_same_etag_only_one_wins(member, site_a):
    from rest_framework.test import APIClient

    gpu = ResourceFactory(site=site_a, name="gpu-r")
    booking = services.reservation_create(actor=member, resource=gpu, start=at(2, 10), end=at(2, 11))

    def client():
        api = APIClient()
        api.force_authenticate(member)
        return api

    tag = client().get(f"/api/reservations/{booking.pk}/")["ETag"]
    calls = [
        (
            lambda i=i: (
                client()
                .patch(f"/api/reservations/{booking.pk}/", {"title": f"writer {i}"}, format="json", HTTP_IF_MATCH=tag)
                .status_code
            )
        )
        for i in range(20)
    ]
    outcomes = race(calls)
    assert sorted(outcomes) == [200] + [412] * 19, outcomes


def test_the_booking_page_refuses_a_save_from_an_old_form(client, member, booking):
    client.force_login(member)
    page = client.get(f"/reservations/{booking.pk}/").text
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    services.reservation_update(actor=member, reservation=booking, title="changed elsewhere")
    form = {
        "version": version,
        "resource": booking.resource_id,
        "start": at(2, 10).strftime("%Y-%m-%dT%H:%M"),
        "end": at(2, 12).strftime("%Y-%m-%dT%H:%M"),
        "title": "my edit",
    }
    refused = client.post(f"/reservations/{booking.pk}/", form)
    assert refused.status_code == 200 and "changed by someone else after you opened it" in refused.text
    booking.refresh_from_db()
    assert booking.title == "changed elsewhere" and booking.end == at(2, 11)


def test_the_admin_refuses_a_save_from_an_old_form(admin_client, member, booking):
    from django.urls import reverse

    url = reverse("admin:reservations_reservation_change", args=[booking.pk])
    page = admin_client.get(url).content.decode()
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    services.reservation_update(actor=member, reservation=booking, title="changed elsewhere")
    form = {
        "version": version,
        "resource": booking.resource_id,
        "owner": member.pk,
        "start_0": at(2, 10).strftime("%Y-%m-%d"),
        "start_1": at(2, 10).strftime("%H:%M:%S"),
        "end_0": at(2, 12).strftime("%Y-%m-%d"),
        "end_1": at(2, 12).strftime("%H:%M:%S"),
        "title": "admin edit",
        "description": "",
        "parameters": "{}",
    }
    refused = admin_client.post(url, form)
    assert refused.status_code == 200 and "changed by someone else" in refused.content.decode()
    booking.refresh_from_db()
    assert booking.title == "changed elsewhere"
