"""Blackouts: site-wide or per-resource (and its tree), single or recurring; laid over bookings
they refuse or cancel them; bookings, availability and the free-slot search respect them."""

from datetime import timedelta

import pytest

from common.exceptions import Conflict
from notifications.models import Notification
from reservations import selectors, services
from reservations.models import Reservation
from reservations.policies import blackouts
from reservations.policies.models import Blackout
from tests.concurrency import race

from .conftest import at

pytestmark = pytest.mark.django_db


def close(actor, site, start, end, reason="Maintenance", **kwargs):
    blackout, cancelled = blackouts.blackout_create(
        actor=actor, site=site, start=start, end=end, reason=reason, **kwargs
    )
    return blackout, cancelled


def test_nothing_is_booked_in_a_site_wide_blackout(member, site_admin, site_a, tree):
    close(site_admin, site_a, at(2, 0), at(3, 0), reason="Holidays")
    with pytest.raises(Conflict) as refused:
        services.reservation_create(actor=member, resource=tree["gpu0"], start=at(2, 10), end=at(2, 11))
    assert refused.value.code == "blackout" and "Berlin Lab is closed from" in str(refused.value)
    assert str(refused.value).endswith(": Holidays.")
    with pytest.raises(Conflict):
        services.reservation_create(actor=site_admin, resource=tree["gpu0"], start=at(2, 10), end=at(2, 11))
    services.reservation_create(actor=member, resource=tree["gpu0"], start=at(3, 10), end=at(3, 11))


def test_a_resource_blackout_closes_its_tree_only(member, site_admin, site_a, tree):
    close(site_admin, site_a, at(2, 8), at(2, 18), resource=tree["server"], reason="Re-cabling")
    with pytest.raises(Conflict, match="dgx-01 is closed"):
        services.reservation_create(actor=member, resource=tree["gpu1"], start=at(2, 10), end=at(2, 11))
    services.reservation_create(
        actor=member, resource=tree["microscope"], start=at(2, 10), end=at(2, 11), parameters={"sample": "cryo"}
    )


def test_a_recurring_blackout_and_moving_into_it(member, site_admin, site_a, tree):
    blackout, _ = close(site_admin, site_a, at(2, 12), at(2, 13), rrule="FREQ=DAILY;COUNT=5", reason="Lunch")
    assert blackout.periods.count() == 5
    booking = services.reservation_create(actor=member, resource=tree["gpu0"], start=at(4, 10), end=at(4, 11))
    with pytest.raises(Conflict, match="Lunch"):
        services.reservation_update(actor=member, reservation=booking, end=at(4, 12, 30))
    result = services.series_create(
        actor=member,
        resource=tree["gpu1"],
        start=at(2, 12),
        end=at(2, 12, 30),
        rrule="FREQ=DAILY;COUNT=7",
        skip_conflicts=True,
    )
    assert len(result.created) == 2 and [s.get("blackout") for s in result.skipped] == ["Lunch"] * 5


def test_laid_over_bookings_it_refuses_or_cancels_them(member, site_admin, site_a, tree):
    booking = services.reservation_create(actor=member, resource=tree["gpu0"], start=at(2, 10), end=at(2, 11))
    with pytest.raises(Conflict) as refused:
        close(site_admin, site_a, at(2, 0), at(3, 0))
    assert refused.value.code == "blackout_conflicts" and "1 booking falls in this blackout" in str(refused.value)
    assert refused.value.details["bookings"] == [booking.pk]
    assert not Blackout.objects.exists()
    _, cancelled = close(site_admin, site_a, at(2, 0), at(3, 0), cancel_bookings=True, reason="Power work")
    assert [b.pk for b in cancelled] == [booking.pk]
    assert Reservation.objects.get(pk=booking.pk).cancel_reason == "Closed: Power work"
    assert Notification.objects.filter(user=member, kind="reservation.cancelled").exists()


def test_availability_and_the_free_slot_search_skip_blackouts(member, site_admin, site_a, tree):
    close(site_admin, site_a, at(2, 9), at(2, 12))
    found = selectors.resource_availability(user=member, resource=tree["gpu0"], start=at(2, 8), end=at(2, 14))
    assert [(i.start, i.end) for i in found["free"]] == [(at(2, 8), at(2, 9)), (at(2, 12), at(2, 14))]
    slot = selectors.first_free_slot(
        user=member, resources=[tree["gpu0"]], duration=timedelta(hours=2), after=at(2, 8), before=at(2, 14)
    )
    assert slot == (tree["gpu0"], at(2, 12))


def test_the_api(member_api, site_admin_api, site_a, tree, member):
    made = site_admin_api.post(
        "/api/blackouts/",
        {"site": site_a.pk, "start": at(5, 0).isoformat(), "end": at(6, 0).isoformat(), "reason": "Audit"},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert len(made.json()["periods"]) == 1
    assert member_api.post(
        "/api/blackouts/",
        {"site": site_a.pk, "start": at(7, 0).isoformat(), "end": at(8, 0).isoformat(), "reason": "x"},
        format="json",
    ).status_code in (403, 404)
    listed = member_api.get(
        "/api/blackouts/", {"site": "berlin", "start": at(4, 0).isoformat(), "end": at(7, 0).isoformat()}
    )
    assert listed.status_code == 200, listed.content
    assert [b["reason"] for b in listed.json()["results"]] == ["Audit"]
    booked = member_api.post(
        "/api/reservations/",
        {"resource": tree["gpu0"].pk, "start": at(5, 10).isoformat(), "end": at(5, 11).isoformat()},
        format="json",
    )
    assert booked.status_code == 409 and booked.json()["code"] == "blackout"
    assert site_admin_api.delete(f"/api/blackouts/{made.json()['id']}/").status_code == 204


@pytest.mark.django_db(transaction=True)
def test_a_blackout_and_bookings_made_at_once_never_both_win(member, site_admin, site_a, tree):
    calls = [
        lambda: close(site_admin, site_a, at(2, 0), at(3, 0)),
        *[
            (
                lambda m=m: services.reservation_create(
                    actor=member, resource=tree["gpu0"], start=at(2, 9, m), end=at(2, 9, m + 30)
                )
            )
            for m in range(0, 30, 3)
        ],
    ]
    race(calls)
    laid = Blackout.objects.exists()
    booked = Reservation.objects.filter(status="confirmed").exists()
    assert laid != booked
