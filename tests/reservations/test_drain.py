"""Drain: a resource leaves service at a set moment. Nothing new is booked past it; what reaches past
it moves (leases, opted-in bookings) or is cancelled or cut short, its owner told; at the moment the
resource goes into maintenance and a running lease booking's rest moves."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from reservations import services as bookings
from reservations.leases import services as leases
from reservations.models import Reservation, ReservationStatus
from resources import services as resources
from resources.models import Resource, ResourceStatus
from tests.factories import ResourceFactory, ResourceTypeFactory

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def servers(site_a):
    kind = ResourceTypeFactory(name="GPU server", site=site_a)
    return {"type": kind, **{f"n{i}": ResourceFactory(site=site_a, resource_type=kind, name=f"n{i}") for i in range(3)}}


def test_a_drain_moves_cancels_or_cuts_what_reaches_past_it_and_closes_the_time(
    member, site_a, site_admin, servers, admin_api
):
    lease = leases.lease_create(
        actor=member, site=site_a, resource_type=servers["type"], count=1, start=at(2, 9), end=at(2, 12)
    )
    leaving = lease.bookings.get().resource
    before = bookings.reservation_create(actor=member, resource=leaving, start=at(1, 8), end=at(1, 9))
    straddling = bookings.reservation_create(actor=member, resource=leaving, start=at(1, 17), end=at(1, 20))
    after = bookings.reservation_create(actor=member, resource=leaving, start=at(3, 9), end=at(3, 10))
    answer = admin_api.patch(
        f"/api/resources/{leaving.pk}/", {"leaves_service_at": at(1, 18).isoformat()}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert lease.bookings.get().resource != leaving  # moved whole, ahead of time
    assert Reservation.objects.get(pk=before.pk).end == at(1, 9)  # ends before: untouched
    assert Reservation.objects.get(pk=straddling.pk).end == at(1, 18)  # cut to end at the moment
    assert Reservation.objects.get(pk=after.pk).status == ReservationStatus.CANCELLED
    told = sorted(Notification.objects.filter(user=member, kind="resource.draining").values_list("title", flat=True))
    assert len(told) == 2 and all(t.startswith(f"{leaving.name} leaves service at ") for t in told)
    refused = admin_api.post(
        "/api/reservations/",
        {"resource": leaving.pk, "start": at(1, 17, 30).isoformat(), "end": at(1, 19).isoformat()},
        format="json",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "leaves_service"
    assert "leaves service at" in refused.json()["detail"]
    fine = admin_api.post(
        "/api/reservations/",
        {"resource": leaving.pk, "start": at(1, 10).isoformat(), "end": at(1, 11).isoformat()},
        format="json",
    )
    assert fine.status_code == 201
    # Lease picks skip it: past the moment only the two others can be taken.
    others = leases.lease_create(
        actor=member, site=site_a, resource_type=servers["type"], count=2, start=at(4, 9), end=at(4, 10)
    )
    assert leaving.pk not in set(others.bookings.values_list("resource_id", flat=True))


def test_a_moment_in_the_past_is_refused_with_the_field(admin_api, servers):
    answer = admin_api.patch(
        f"/api/resources/{servers['n0'].pk}/",
        {"leaves_service_at": (timezone.now() - timedelta(minutes=1)).isoformat()},
        format="json",
    )
    assert answer.status_code == 400 and "leaves_service_at" in answer.json()["errors"]


def test_at_the_moment_it_goes_into_maintenance_and_a_running_lease_booking_moves_its_rest(
    member, site_a, site_admin, servers
):
    now = timezone.now()
    lease = leases.lease_create(
        actor=site_admin,
        owner=member,
        site=site_a,
        resource_type=servers["type"],
        count=1,
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=2),
    )
    running = lease.bookings.get()
    resources.resource_drain(actor=site_admin, resource=running.resource, at=now + timedelta(minutes=30))
    assert lease.bookings.get().pk == running.pk  # still running where it is, until the moment
    Resource.objects.filter(pk=running.resource_id).update(leaves_service_at=timezone.now())  # the moment comes
    assert resources.drains_due() == 1
    drained = Resource.objects.get(pk=running.resource_id)
    assert drained.status == ResourceStatus.MAINTENANCE
    running.refresh_from_db()
    assert running.release_reason == "replaced"
    rest = leases.lease_bookings(lease).get()
    assert rest.resource_id != drained.pk and rest.end == now + timedelta(hours=2)
    resources.resource_status_set(actor=site_admin, resource=drained, status="active")
    assert Resource.objects.get(pk=drained.pk).leaves_service_at is None  # back: drained no more
