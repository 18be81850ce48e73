"""Allocations that live and die with a booking: claimed at its start (or when it is made) from the
templates its resource type names, sent in `reservation.started`, moved with an extension,
released when it ends or is cancelled; a range exhausted is told, never a blocked start."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from registry import booking_templates
from registry.models import Allocation, AllocationTemplate, ApplyAt
from reservations import services as bookings
from reservations.leases import services as leases
from reservations.models import Reservation
from reservations.tasks import fire_boundary
from tests.factories import ResourceFactory, ResourceTypeFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def job_template(admin_user):
    return AllocationTemplate.objects.create(
        name="gpu job",
        specs=[
            {
                "resource_type": "port",
                "resource_value": "next:20000-20002",
                "resource_name": "job {booking_id} port",
                "count": 2,
            },
            {"resource_type": "directory", "resource_value": "/scratch/job-{booking_id}"},
        ],
    )


@pytest.fixture
def gpu_type(site_a, site_admin, job_template):
    kind = ResourceTypeFactory(site=site_a, name="GPU server")
    booking_templates.booking_template_create(actor=site_admin, template=job_template, resource_type=kind)
    return kind


def starting_now(member, resource, minutes=60):
    start = timezone.now() + timedelta(minutes=1)
    booking = bookings.reservation_create(
        actor=member, resource=resource, start=start, end=start + timedelta(minutes=minutes)
    )
    Reservation.objects.filter(pk=booking.pk).update(start=timezone.now() - timedelta(seconds=1))
    assert fire_boundary(booking.pk, "started")
    booking.refresh_from_db()
    return booking


def test_a_booking_gets_its_allocations_at_the_start_in_the_started_event(member, site_a, gpu_type):
    server = ResourceFactory(site=site_a, resource_type=gpu_type, name="dgx-07")
    booking = starting_now(member, server)
    held = list(Allocation.objects.filter(booking=booking).order_by("pk"))
    assert [(a.resource_type, a.resource_value) for a in held] == [
        ("port", "20000"),
        ("port", "20001"),
        ("directory", f"/scratch/job-{booking.pk}"),
    ]
    assert all(a.owner == member and a.expires_at == booking.end and a.site == site_a for a in held)
    assert [a.resource_name for a in held[:2]] == [f"job {booking.pk} port 1", f"job {booking.pk} port 2"]
    started = Event.objects.get(type="reservation.started").payload["data"]
    assert [a["resource_value"] for a in started["allocations"]] == ["20000", "20001", f"/scratch/job-{booking.pk}"]
    assert Event.objects.filter(type="allocation.created").count() == 3

    bookings.reservation_update(actor=member, reservation=booking, end=booking.end + timedelta(hours=1))
    assert {a.expires_at for a in Allocation.objects.filter(booking=booking)} == {booking.end}

    bookings.reservation_cancel(actor=member, reservation=booking, reason="done early")
    assert set(Allocation.objects.filter(booking=booking).values_list("status", flat=True)) == {"released"}
    ended = Event.objects.get(type="reservation.ended").payload["data"]
    assert {a["status"] for a in ended["allocations"]} == {"released"}  # what to take down


def test_an_exhausted_range_is_reported_and_the_booking_still_starts(member, site_a, site_admin, gpu_type):
    first = starting_now(member, ResourceFactory(site=site_a, resource_type=gpu_type, name="dgx-08"))
    assert Allocation.objects.filter(booking=first).count() == 3
    # Two of the three ports are held: the next booking's two ports cannot both be found.
    second = starting_now(member, ResourceFactory(site=site_a, resource_type=gpu_type, name="dgx-09"))
    assert "No free port between 20000 and 20002" in second.allocation_problem
    assert not Allocation.objects.filter(booking=second).exists()  # the template: all or none
    assert Event.objects.filter(type="reservation.started", payload__data__reservation__id=second.pk).exists()
    failed = Event.objects.get(type="reservation.allocation_failed").payload["data"]
    assert failed["reservation"]["id"] == second.pk and "20002" in failed["reservation"]["problem"]
    told = Notification.objects.filter(kind="reservation.allocation_failed").values_list("user__username", flat=True)
    assert set(told) == {member.username, site_admin.username}


def test_made_when_booked_for_a_lease_and_released_with_it(member, site_a, site_admin, job_template):
    kind = ResourceTypeFactory(site=site_a, name="Node")
    for i in range(2):
        ResourceFactory(site=site_a, resource_type=kind, name=f"node-{i}")
    small = AllocationTemplate.objects.create(
        name="scratch", specs=[{"resource_type": "directory", "resource_value": "/scratch/{resource}-{booking_id}"}]
    )
    booking_templates.booking_template_create(
        actor=site_admin, template=small, resource_type=kind, apply_at=ApplyAt.CREATED
    )
    start = timezone.now() + timedelta(days=1)
    lease = leases.lease_create(
        actor=member, site=site_a, resource_type=kind, count=2, start=start, end=start + timedelta(hours=2)
    )
    made = Event.objects.get(type="lease.created").payload["data"]
    paths = sorted(a["resource_value"] for r in made["resources"] for a in r["allocations"])
    ids = sorted(b.pk for b in lease.bookings.all())
    assert len(paths) == 2 and all(p.startswith("/scratch/node-") for p in paths)
    assert {int(p.rsplit("-", 1)[1]) for p in paths} == set(ids)
    leases.lease_cancel(actor=member, lease=lease)
    assert set(Allocation.objects.filter(booking__lease=lease).values_list("status", flat=True)) == {"released"}


def test_a_resources_own_links_replace_its_types(member, site_a, site_admin, gpu_type):
    special = ResourceFactory(site=site_a, resource_type=gpu_type, name="dgx-special")
    own = AllocationTemplate.objects.create(
        name="special db", specs=[{"resource_type": "database", "resource_value": "job_{booking_id}"}]
    )
    booking_templates.booking_template_create(actor=site_admin, template=own, resource=special)
    booking = starting_now(member, special)
    assert list(Allocation.objects.filter(booking=booking).values_list("resource_value", flat=True)) == [
        f"job_{booking.pk}"
    ]


def test_a_count_is_for_next_free_ports_only(admin_user):
    from django.core.exceptions import ValidationError

    from registry import services

    services.template_save(
        actor=admin_user,
        template=None,
        name="ok",
        specs=[{"resource_type": "port", "resource_value": "next:1-9", "count": 3}],
    )
    for spec in (
        {"resource_type": "directory", "resource_value": "/srv/x", "count": 2},
        {"resource_type": "port", "resource_value": "next:1-9", "count": 0},
        {"resource_type": "port", "resource_value": "next:1-9", "count": "4"},
    ):
        with pytest.raises(ValidationError):
            services.template_save(actor=admin_user, template=None, name="bad", specs=[spec])


def test_only_site_administrators_link_templates(member, site_admin, site_a, job_template):
    from common.exceptions import PermissionDenied

    kind = ResourceTypeFactory(site=site_a, name="Scope")
    shared = ResourceTypeFactory(site=None, name="Shared")
    with pytest.raises(PermissionDenied):
        booking_templates.booking_template_create(actor=member, template=job_template, resource_type=kind)
    with pytest.raises(PermissionDenied):
        booking_templates.booking_template_create(actor=site_admin, template=job_template, resource_type=shared)


def test_pages_and_api_show_who_holds_what(member, member_api, client, site_a, gpu_type):
    booking = starting_now(member, ResourceFactory(site=site_a, resource_type=gpu_type, name="dgx-10"))
    listed = member_api.get("/api/system-resources/", {"booking": booking.pk}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert len(rows) == 3 and {r["booking"] for r in rows} == {booking.pk}
    client.force_login(member)
    page = client.get(f"/reservations/{booking.pk}/").content.decode()
    assert 'id="allocations"' in page and "20000" in page
    registry = client.get("/registry/?search=20000").content.decode()
    assert f"booking #{booking.pk}" in registry


@pytest.mark.django_db(transaction=True)
def test_lease_started_carries_every_machines_allocations_even_when_their_tasks_race(member, site_a, site_admin):
    """Two workers start two bookings of one lease at once: no deadlock, each booking starts once,
    one lease.started, and it carries both machines' allocations."""
    from django.db import connection

    from tests.concurrency import race

    kind = ResourceTypeFactory(site=site_a, name="Node")
    for i in range(2):
        ResourceFactory(site=site_a, resource_type=kind, name=f"node-{i}")
    scratch = AllocationTemplate.objects.create(
        name="scratch", specs=[{"resource_type": "directory", "resource_value": "/scratch/{resource}-{booking_id}"}]
    )
    booking_templates.booking_template_create(actor=site_admin, template=scratch, resource_type=kind)
    start = timezone.now() + timedelta(minutes=5)
    lease = leases.lease_create(
        actor=member, site=site_a, resource_type=kind, count=2, start=start, end=start + timedelta(hours=1)
    )
    ids = list(Reservation.objects.filter(lease=lease).values_list("pk", flat=True))
    Reservation.objects.filter(pk__in=ids).update(start=timezone.now() - timedelta(seconds=1))

    def start_one(pk):
        def call():
            try:
                return fire_boundary(pk, "started")
            finally:
                connection.close()

        return call

    outcomes = race([start_one(pk) for pk in ids])
    assert sorted(outcomes) == [False, True], outcomes
    assert Event.objects.filter(type="reservation.started").count() == 2
    started = Event.objects.get(type="lease.started").payload["data"]
    assert sorted(len(r["allocations"]) for r in started["resources"]) == [1, 1]
