"""Approvals: members' bookings of a type that needs approval are pending, hold their slot, and
are approved, rejected or expire exactly once; only confirmed bookings start and end."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.exceptions import Conflict
from notifications.models import Notification
from reservations import services, tasks
from reservations.leases import services as leases
from reservations.models import Reservation, ReservationStatus
from reservations.policies import approvals
from reservations.policies import tasks as policy_tasks
from tests.concurrency import race
from tests.factories import ResourceFactory, ResourceTypeFactory
from webhooks.models import Event

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def krios(site_a):
    kind = ResourceTypeFactory(site=site_a, name="Cryo-EM", requires_approval=True, approval_timeout=timedelta(hours=4))
    return ResourceFactory(site=site_a, resource_type=kind, name="Krios-9")


def book(user, resource, start=None, end=None):
    return services.reservation_create(actor=user, resource=resource, start=start or at(2, 10), end=end or at(2, 12))


def events(kind):
    return list(Event.objects.filter(type=kind).values_list("payload__data__reservation__id", flat=True))


def test_a_members_booking_waits_and_holds_its_slot(member, second_member, site_admin, krios):
    booking = book(member, krios)
    assert booking.status == ReservationStatus.PENDING
    assert booking.pending_until - timezone.now() == pytest.approx(timedelta(hours=4), abs=timedelta(seconds=5))
    assert events("reservation.pending") == [booking.pk] and events("reservation.created") == []
    assert Notification.objects.filter(user=site_admin, kind="reservation.pending", url="/approvals/").exists()
    with pytest.raises(Conflict) as taken:
        book(second_member, krios, at(2, 11), at(2, 13))
    assert taken.value.code == "overlap"


def test_a_site_administrators_booking_needs_no_approval(site_admin, member, krios):
    assert book(site_admin, krios).status == ReservationStatus.CONFIRMED
    for_member = services.reservation_create(
        actor=site_admin, resource=krios, owner=member, start=at(3, 10), end=at(3, 11)
    )
    assert for_member.status == ReservationStatus.CONFIRMED


def test_approve_through_the_api(member, member_api, site_admin_api, krios):
    booking = book(member, krios)
    assert member_api.post(f"/api/reservations/{booking.pk}/approve/").status_code == 403
    approved = site_admin_api.post(f"/api/reservations/{booking.pk}/approve/")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "confirmed" and approved.json()["decided_at"]
    assert events("reservation.approved") == [booking.pk]
    assert Notification.objects.filter(user=member, kind="reservation.approved").exists()
    again = site_admin_api.post(f"/api/reservations/{booking.pk}/approve/")
    assert again.status_code == 409 and again.json()["code"] == "decided"


def test_reject_frees_the_slot(member, second_member, site_admin_api, krios):
    booking = book(member, krios)
    rejected = site_admin_api.post(
        f"/api/reservations/{booking.pk}/reject/", {"reason": "Training first"}, format="json"
    )
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["status"] == "rejected" and rejected.json()["cancel_reason"] == "Training first"
    assert events("reservation.rejected") == [booking.pk]
    note = Notification.objects.get(user=member, kind="reservation.rejected")
    assert "Training first" in note.body
    assert book(second_member, krios).status == ReservationStatus.PENDING
    with pytest.raises(Conflict, match="rejected"):
        services.reservation_update(actor=member, reservation=Reservation.objects.get(pk=booking.pk), title="x")


def test_an_undecided_booking_expires_once(member, krios):
    booking = book(member, krios)
    Reservation.objects.filter(pk=booking.pk).update(pending_until=timezone.now() - timedelta(seconds=1))
    assert policy_tasks.expire_pending() == 1
    assert policy_tasks.expire_pending() == 0
    booking.refresh_from_db()
    assert booking.status == ReservationStatus.REJECTED and "expired" in booking.cancel_reason
    (event,) = Event.objects.filter(type="reservation.rejected")
    assert event.payload["data"]["reservation"]["expired"] is True


def test_pending_bookings_neither_start_nor_end(member, krios, settings):
    booking = book(member, krios, at(2, 10), at(2, 12))
    Reservation.objects.filter(pk=booking.pk).update(
        start=timezone.now() - timedelta(minutes=5), end=timezone.now() - timedelta(minutes=1)
    )
    assert tasks.fire_boundary(booking.pk, "started") is False
    assert not Event.objects.filter(type__in=["reservation.started", "reservation.ended"]).exists()


def test_the_queue_page(client, member, site_admin, krios):
    booking = book(member, krios)
    client.force_login(member)
    assert client.get("/approvals/").status_code == 403
    client.force_login(site_admin)
    page = client.get("/approvals/").text
    assert f'data-booking="{booking.pk}"' in page and "Krios-9" in page
    done = client.post("/approvals/", {"booking": booking.pk, "decision": "approve"}, follow=True)
    assert "approved" in done.text and 'id="no-approvals"' in done.text
    booking.refresh_from_db()
    assert booking.status == ReservationStatus.CONFIRMED
    again = client.post("/approvals/", {"booking": booking.pk, "decision": "reject"}, follow=True)
    assert "only a pending booking can be rejected" in again.text


def test_a_series_of_an_approval_type_waits_as_a_whole(member, site_admin, krios):
    result = services.series_create(
        actor=member, resource=krios, start=at(2, 9), end=at(2, 10), rrule="FREQ=DAILY;COUNT=3"
    )
    assert {b.status for b in Reservation.objects.filter(series=result.series)} == {"pending"}
    assert Notification.objects.filter(user=site_admin, kind="reservation.pending").count() == 1


@pytest.mark.django_db(transaction=True)
def test_approving_and_cancelling_at_once_leave_one_consistent_outcome(member, site_admin, site_a):
    kind = ResourceTypeFactory(site=site_a, name="Approved-race", requires_approval=True)
    resource = ResourceFactory(site=site_a, resource_type=kind, name="race-krios")
    for round_ in range(3):
        booking = book(member, resource, at(2 + round_, 10), at(2 + round_, 11))
        approve = lambda b=booking: approvals.reservation_approve(actor=site_admin, reservation=b)  # noqa: E731
        cancel = lambda b=booking: services.reservation_cancel(actor=member, reservation=b)  # noqa: E731
        calls = [approve if i % 2 else cancel for i in range(20)]
        outcomes = race(calls)
        booking.refresh_from_db()
        assert booking.status in ("confirmed", "cancelled")
        approved = Event.objects.filter(type="reservation.approved", payload__data__reservation__id=booking.pk).count()
        cancelled = Event.objects.filter(
            type="reservation.cancelled", payload__data__reservation__id=booking.pk
        ).count()
        assert approved <= 1 and cancelled == 1 and booking.status == "cancelled", outcomes
        refusals = [o for o in outcomes if isinstance(o, Exception)]
        assert all(getattr(o, "code", None) == "decided" for o in refusals), refusals


def test_the_scheduler_hands_each_deadline_to_a_task_at_its_moment(member, krios):
    booking = book(member, krios)
    soon = timezone.now() + timedelta(seconds=2)
    Reservation.objects.filter(pk=booking.pk).update(pending_until=soon)
    assert tasks.fire_deadline(booking.pk, "expire") == 0  # not yet: nothing happens early
    assert tasks.schedule_boundaries() >= 1
    Reservation.objects.filter(pk=booking.pk).update(pending_until=timezone.now() - timedelta(milliseconds=1))
    assert tasks.fire_deadline(booking.pk, "expire") == 1
    assert tasks.fire_deadline(booking.pk, "expire") == 0  # twice scheduled, once done
    assert Event.objects.filter(type="reservation.rejected").count() == 1


@pytest.fixture
def scopes(site_a):
    kind = ResourceTypeFactory(site=site_a, name="Scope", requires_approval=True, approval_timeout=timedelta(hours=4))
    return kind, [ResourceFactory(site=site_a, resource_type=kind, name=f"scope-{i}") for i in range(3)]


def _lease(member, site_a, kind, day):
    return leases.lease_create(
        actor=member, site=site_a, resource_type=kind, count=2, start=at(day, 9), end=at(day, 11)
    )


def test_a_lease_of_an_approval_type_is_decided_once_for_all_its_machines(
    member, site_admin_api, site_admin, site_a, scopes
):
    kind, _ = scopes
    made = _lease(member, site_a, kind, 2)
    first, second = Reservation.objects.filter(lease=made).order_by("pk")
    assert {first.status, second.status} == {ReservationStatus.PENDING}
    approved = site_admin_api.post(f"/api/reservations/{first.pk}/approve/")
    assert approved.status_code == 200
    second.refresh_from_db()
    assert second.status == ReservationStatus.CONFIRMED  # decided with the first
    assert site_admin_api.post(f"/api/reservations/{second.pk}/approve/").status_code == 409

    other = _lease(member, site_a, kind, 3)
    one, two = Reservation.objects.filter(lease=other).order_by("pk")
    approvals.reservation_reject(actor=site_admin, reservation=two, reason="not this week")
    one.refresh_from_db()
    assert one.status == ReservationStatus.REJECTED and one.cancel_reason == "not this week"


@pytest.mark.django_db(transaction=True)
def test_approving_one_machine_and_rejecting_another_at_once_give_the_lease_one_outcome(
    member, site_admin, site_a, scopes
):
    kind, _ = scopes
    for round_ in range(3):
        made = _lease(member, site_a, kind, 2 + round_)
        first, second = Reservation.objects.filter(lease=made).order_by("pk")
        approve = lambda b=first: approvals.reservation_approve(actor=site_admin, reservation=b)  # noqa: E731
        reject = lambda b=second: approvals.reservation_reject(actor=site_admin, reservation=b)  # noqa: E731
        outcomes = race([approve if i % 2 else reject for i in range(10)])
        statuses = set(Reservation.objects.filter(lease=made).values_list("status", flat=True))
        assert statuses in ({"confirmed"}, {"rejected"}), (statuses, outcomes)
        refusals = [o for o in outcomes if isinstance(o, Exception)]
        assert len(refusals) == 9 and all(getattr(o, "code", None) == "decided" for o in refusals), refusals
