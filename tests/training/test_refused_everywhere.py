"""A member without the qualification a resource needs is refused with 403 `not_qualified` on every
surface that books (one rule, in training.rules, reached through the booking core's hooks)."""

import pytest
from django.test import Client

from reservations.models import Reservation
from reservations.policies.models import WaitlistEntry
from tests.reservations.conftest import at

pytestmark = pytest.mark.django_db


def _iso(moment):
    return moment.isoformat()


def test_the_api_refuses_a_booking_and_says_where_to_ask(member_api, microscopes):
    refused = member_api.post(
        "/api/reservations/",
        {"resource": microscopes["krios"].pk, "start": _iso(at(1, 9)), "end": _iso(at(1, 10))},
        format="json",
    )
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "not_qualified"
    assert "krios needs training" in body["detail"] and "not trained for Electron microscope" in body["detail"]
    assert body["requirement"] == microscopes["requirement"].pk
    assert not Reservation.objects.exists()
    # What needs no training is booked as before.
    fine = member_api.post(
        "/api/reservations/",
        {"resource": microscopes["server"].pk, "start": _iso(at(1, 9)), "end": _iso(at(1, 10))},
        format="json",
    )
    assert fine.status_code == 201, fine.content


def test_series_leases_and_the_waitlist_refuse_too(member_api, site_admin_api, microscopes):
    series = member_api.post(
        "/api/reservations/series/",
        {
            "resource": microscopes["krios"].pk,
            "start": _iso(at(1, 9)),
            "end": _iso(at(1, 10)),
            "rrule": "FREQ=DAILY;COUNT=3",
        },
        format="json",
    )
    assert series.status_code == 403 and series.json()["code"] == "not_qualified"
    lease = member_api.post(
        "/api/leases/",
        {
            "site": microscopes["type"].site_id,
            "resource_type": microscopes["type"].pk,
            "count": 1,
            "start": _iso(at(2, 9)),
            "end": _iso(at(2, 11)),
        },
        format="json",
    )
    assert lease.status_code == 403 and lease.json()["code"] == "not_qualified", lease.content
    taken = site_admin_api.post(  # the site's administrator needs no grant: they run the instrument
        "/api/reservations/",
        {"resource": microscopes["krios"].pk, "start": _iso(at(3, 9)), "end": _iso(at(3, 10))},
        format="json",
    )
    assert taken.status_code == 201, taken.content
    wait = member_api.post(
        "/api/waitlist/",
        {"resource": microscopes["krios"].pk, "start": _iso(at(3, 9)), "end": _iso(at(3, 10))},
        format="json",
    )
    assert wait.status_code == 403 and wait.json()["code"] == "not_qualified"
    assert not WaitlistEntry.objects.exists()
    assert Reservation.objects.count() == 1


def test_a_site_administrator_cannot_book_for_an_unqualified_member(site_admin_api, member, microscopes):
    refused = site_admin_api.post(
        "/api/reservations/",
        {
            "resource": microscopes["krios"].pk,
            "start": _iso(at(1, 9)),
            "end": _iso(at(1, 10)),
            "owner": member.username,
        },
        format="json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not_qualified", refused.content


def test_moving_a_booking_onto_an_instrument_that_needs_training_is_refused(member_api, microscopes):
    made = member_api.post(
        "/api/reservations/",
        {"resource": microscopes["server"].pk, "start": _iso(at(1, 9)), "end": _iso(at(1, 10))},
        format="json",
    ).json()
    moved = member_api.patch(f"/api/reservations/{made['id']}/", {"resource": microscopes["krios"].pk}, format="json")
    assert moved.status_code == 403 and moved.json()["code"] == "not_qualified"


def test_the_form_offers_training_instead_of_book_and_a_post_is_refused(member, microscopes):
    client = Client()
    client.force_login(member)
    catalogue = client.get("/").content.decode()
    assert "Training required" in catalogue and f"/training/?requirement={microscopes['requirement'].pk}" in catalogue
    form = client.get(f"/reservations/new/?resource={microscopes['krios'].pk}").content.decode()
    assert "krios (training required)" in form
    assert 'id="request-training-button"' in form and 'id="book-button"' not in form
    posted = client.post(
        "/reservations/new/",
        {
            "resource": microscopes["krios"].pk,
            "start": at(1, 9).strftime("%Y-%m-%dT%H:%M"),
            "end": at(1, 10).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert posted.status_code == 403
    assert "krios needs training" in posted.content.decode()
    embedded = client.post(  # the calendars' and the timeline's booking dialog
        "/reservations/new/?embed=1",
        {
            "resource": microscopes["krios"].pk,
            "start": at(1, 9).strftime("%Y-%m-%dT%H:%M"),
            "end": at(1, 10).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert embedded.status_code == 403
    assert not Reservation.objects.exists()


def test_once_qualified_everything_books(member_api, member, microscopes, qualified):
    qualified()
    made = member_api.post(
        "/api/reservations/",
        {"resource": microscopes["krios"].pk, "start": _iso(at(1, 9)), "end": _iso(at(1, 10))},
        format="json",
    )
    assert made.status_code == 201, made.content
    client = Client()
    client.force_login(member)
    assert "Training required" not in client.get("/").content.decode()
