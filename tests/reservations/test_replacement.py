"""A machine that fails is replaced (Slurm's REPLACE_DOWN, for bookings): a lease's bookings, and
single bookings that opted in, move to a free matching machine for the rest of their time; with none
free they wait, told, and move as soon as one frees."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from registry import booking_templates
from registry.models import Allocation, AllocationStatus, AllocationTemplate, ApplyAt
from reservations import services as bookings
from reservations.leases import services as leases
from reservations.models import Reservation, ReservationStatus
from resources import services as resources
from tests.concurrency import race
from tests.factories import ResourceFactory, ResourceTypeFactory
from webhooks.models import Event

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(site_a):
    """Four A100 servers with 80 GB, one with 40 GB, at Berlin."""
    kind = ResourceTypeFactory(name="GPU server", site=site_a)
    servers = {
        f"a100-{i}": ResourceFactory(
            site=site_a,
            resource_type=kind,
            name=f"a100-{i}",
            attributes={"gpu_model": "A100", "gpu_memory_gb": 80 if i < 4 else 40},
        )
        for i in range(5)
    }
    return {"type": kind, **servers}


BIG = "gpu_model = A100, gpu_memory_gb >= 80"


def lease_of(actor, site, pool, count=2, start=None, end=None, owner=None):
    return leases.lease_create(
        actor=actor,
        site=site,
        resource_type=pool["type"],
        count=count,
        where=BIG,
        start=start or at(1, 9),
        end=end or at(1, 17),
        owner=owner,
    )


def held(lease):
    return sorted(b.resource.name for b in leases.lease_bookings(lease).filter(status__in=["confirmed", "pending"]))


def test_an_upcoming_lease_booking_moves_whole_to_a_free_match_and_everyone_hears(member, site_a, site_admin, pool):
    made = lease_of(member, site_a, pool)
    first, second = held(made)
    resources.resource_status_set(actor=site_admin, resource=pool[first], status="maintenance")
    now_held = held(made)
    assert first not in now_held and second in now_held and len(now_held) == 2
    (new_name,) = set(now_held) - {second}
    assert pool[new_name].attributes["gpu_memory_gb"] == 80  # the lease's `where` holds
    moved = Reservation.objects.get(lease=made, resource__name=new_name)
    assert (moved.start, moved.end) == (at(1, 9), at(1, 17))
    replaced = Event.objects.get(type="lease.updated").payload["data"]["lease"]["replaced"]
    assert replaced["from"]["name"] == first and replaced["to"]["name"] == new_name
    assert replaced["reason"] == f"{first} is in maintenance" and replaced["previous_reservation_id"] == moved.pk
    assert Event.objects.filter(type="reservation.replaced").count() == 1
    assert Event.objects.filter(type="reservation.updated").count() == 1  # the move itself, as any move
    told = Notification.objects.get(user=member)
    assert told.kind == "reservation.replaced" and new_name in told.title  # one notice, not also "check"


def test_a_running_lease_booking_ends_on_the_failed_machine_and_its_rest_runs_on_another(
    member, site_a, site_admin, pool
):
    now = timezone.now()
    made = lease_of(
        site_admin, site_a, pool, start=now - timedelta(hours=1), end=now + timedelta(hours=3), owner=member
    )
    first, _ = held(made)
    old = Reservation.objects.get(lease=made, resource__name=first)
    resources.resource_status_set(actor=site_admin, resource=pool[first], status="unavailable")
    old.refresh_from_db()
    assert old.release_reason == "replaced" and old.end <= timezone.now() and old.status == "confirmed"
    rest = Reservation.objects.filter(lease=made).exclude(resource__name=first).order_by("-pk").first()
    assert rest.start >= now and rest.end == now + timedelta(hours=3) and rest.started_event_at is None
    assert len(held(made)) == 2 and first not in held(made)  # the part that ran is history
    lease_event = Event.objects.get(type="lease.updated").payload["data"]
    assert first not in {r["name"] for r in lease_event["resources"]}
    replaced = Event.objects.get(type="reservation.replaced").payload["data"]
    assert replaced["reservation"]["id"] == rest.pk
    assert replaced["reservation"]["replaced"]["previous_reservation_id"] == old.pk
    # The lease moves on as one afterwards: the history part is not dragged along.
    leases.lease_update(actor=site_admin, lease=made, end=now + timedelta(hours=4))
    assert Reservation.objects.get(pk=rest.pk).end == now + timedelta(hours=4)


def test_with_none_free_the_lease_is_degraded_and_moves_as_soon_as_a_machine_frees(
    member, second_member, site_a, site_admin, pool
):
    made = lease_of(member, site_a, pool)
    blockers = [
        bookings.reservation_create(actor=second_member, resource=pool[name], start=at(1, 8), end=at(1, 18))
        for name in ("a100-0", "a100-1", "a100-2", "a100-3")
        if name not in held(made)
    ]
    first, second = held(made)
    resources.resource_status_set(actor=site_admin, resource=pool[first], status="maintenance")
    assert held(made) == [first, second]  # stays where it was, waiting
    waiting = Reservation.objects.get(lease=made, resource__name=first)
    assert waiting.awaiting_replacement_since is not None
    degraded = Event.objects.get(type="lease.degraded").payload["data"]["lease"]["degraded"]
    assert degraded["usable"] == 1 and degraded["count"] == 2
    told = set(Notification.objects.filter(kind="lease.degraded").values_list("user__username", flat=True))
    assert {member.username, site_admin.username} <= told
    assert not Notification.objects.filter(user=member, kind="resource.status_changed").exists()
    bookings.reservation_cancel(actor=second_member, reservation=blockers[0], reason="done early")
    assert sorted(held(made)) == sorted([blockers[0].resource.name, second])
    assert Reservation.objects.get(pk=waiting.pk).awaiting_replacement_since is None
    assert Event.objects.filter(type="lease.updated").count() == 1


def test_a_machine_back_in_service_keeps_what_waited_on_it(member, second_member, site_a, site_admin, pool):
    made = lease_of(member, site_a, pool)
    for name in ("a100-0", "a100-1", "a100-2", "a100-3"):
        if name not in held(made):
            bookings.reservation_create(actor=second_member, resource=pool[name], start=at(1, 8), end=at(1, 18))
    first, _ = held(made)
    resources.resource_status_set(actor=site_admin, resource=pool[first], status="maintenance")
    resources.resource_status_set(actor=site_admin, resource=pool[first], status="active")
    assert first in held(made)
    assert not Reservation.objects.filter(awaiting_replacement_since__isnull=False).exists()


def test_single_bookings_move_only_when_they_opted_in_and_within_their_where(member, site_a, site_admin, pool):
    opted = bookings.reservation_create(
        actor=member,
        resource=pool["a100-0"],
        start=at(2, 9),
        end=at(2, 10),
        replace_if_down=True,
        replace_where="gpu_memory_gb < 80",
    )
    plain = bookings.reservation_create(actor=member, resource=pool["a100-0"], start=at(2, 11), end=at(2, 12))
    resources.resource_status_set(actor=site_admin, resource=pool["a100-0"], status="maintenance")
    opted.refresh_from_db()
    plain.refresh_from_db()
    assert opted.resource.name == "a100-4" and plain.resource.name == "a100-0"
    notices = dict(Notification.objects.filter(user=member).values_list("kind", "title"))
    assert "a100-4" in notices["reservation.replaced"]
    assert notices["resource.status_changed"] == "a100-0 is now in maintenance: check your 1 booking"


def test_cancelling_on_the_status_change_replaces_what_it_can_and_cancels_the_rest(member, site_a, site_admin, pool):
    made = lease_of(member, site_a, pool)
    first, _ = held(made)
    plain = bookings.reservation_create(actor=member, resource=pool[first], start=at(2, 9), end=at(2, 10))
    resources.resource_status_set(
        actor=site_admin, resource=pool[first], status="unavailable", cancel_future_bookings=True
    )
    assert len(held(made)) == 2 and first not in held(made)
    assert Reservation.objects.get(pk=plain.pk).status == ReservationStatus.CANCELLED


def test_allocations_tied_to_the_booking_are_given_back_and_made_again_for_the_new_machine(
    member, site_a, site_admin, pool
):
    template = AllocationTemplate.objects.create(
        name="scratch", specs=[{"resource_type": "directory", "resource_value": "/scratch/{resource}-{booking_id}"}]
    )
    booking_templates.booking_template_create(
        actor=site_admin, template=template, resource_type=pool["type"], apply_at=ApplyAt.CREATED
    )
    made = lease_of(member, site_a, pool, count=1)
    (first,) = held(made)
    booking = Reservation.objects.get(lease=made)
    assert Allocation.objects.get(booking=booking).resource_value == f"/scratch/{first}-{booking.pk}"
    resources.resource_status_set(actor=site_admin, resource=pool[first], status="maintenance")
    (now_on,) = held(made)
    values = dict(Allocation.objects.filter(booking=booking).values_list("resource_value", "status"))
    assert values == {
        f"/scratch/{first}-{booking.pk}": AllocationStatus.RELEASED,
        f"/scratch/{now_on}-{booking.pk}": AllocationStatus.ACTIVE,
    }


@pytest.mark.django_db(transaction=True)
def test_a_replacement_racing_ordinary_bookings_of_the_last_free_machine_gives_one_winner(
    member, second_member, site_a, site_admin, pool
):
    made = lease_of(member, site_a, pool, count=3)  # a100-0..3 hold 80 GB: one is left free
    (free,) = {"a100-0", "a100-1", "a100-2", "a100-3"} - set(held(made))
    first = held(made)[0]

    def fail():
        resources.resource_status_set(actor=site_admin, resource=pool[first], status="unavailable")

    def book():
        return bookings.reservation_create(actor=second_member, resource=pool[free], start=at(1, 12), end=at(1, 13))

    outcomes = race([fail, book, book, book])
    on_free = Reservation.objects.filter(resource=pool[free], status__in=["confirmed", "pending"])
    assert on_free.count() == 1  # one winner: the lease's replacement or one ordinary booking
    winner = on_free.get()
    single_won = winner.lease_id is None
    assert sum(isinstance(o, Reservation) for o in outcomes) == (1 if single_won else 0)
    waiting = Reservation.objects.filter(lease=made, awaiting_replacement_since__isnull=False).count()
    assert waiting == (1 if single_won else 0)


def test_pages_offer_the_opt_in_and_show_what_moved_and_what_waits(
    client, member, second_member, site_a, site_admin, pool
):
    client.force_login(member)
    form = client.get(f"/reservations/new/?resource={pool['a100-0'].pk}").content.decode()
    assert "If it fails, move my booking" in form
    bad = client.post(
        "/reservations/new/",
        {
            "resource": pool["a100-0"].pk,
            "start": at(2, 9).strftime("%Y-%m-%dT%H:%M"),
            "end": at(2, 10).strftime("%Y-%m-%dT%H:%M"),
            "replace_if_down": "on",
            "replace_where": "gpu_memory_gb >>> 80",
        },
    )
    assert bad.status_code == 200 and "compares numbers only" in bad.content.decode()
    made = client.post(
        "/reservations/new/",
        {
            "resource": pool["a100-0"].pk,
            "start": at(2, 9).strftime("%Y-%m-%dT%H:%M"),
            "end": at(2, 10).strftime("%Y-%m-%dT%H:%M"),
            "replace_if_down": "on",
            "replace_where": "gpu_memory_gb >= 80",
        },
    )
    assert made.status_code == 302, made.content.decode()[:2000]
    booking = Reservation.objects.get(owner=member)
    assert booking.replace_if_down and booking.replace_where == "gpu_memory_gb >= 80"
    assert 'value="gpu_memory_gb &gt;= 80"' in client.get(f"/reservations/{booking.pk}/").content.decode()
    lease = lease_of(member, site_a, pool, count=1, start=at(3, 9), end=at(3, 10))
    (leased,) = held(lease)
    for name in {"a100-0", "a100-1", "a100-2", "a100-3"} - {leased}:
        bookings.reservation_create(actor=second_member, resource=pool[name], start=at(3, 8), end=at(3, 11))
    resources.resource_status_set(actor=site_admin, resource=pool[leased], status="maintenance")
    page = client.get(f"/leases/{lease.pk}/").content.decode()
    assert "awaiting-replacement" in page and "Awaiting a free GPU server" in page
    detail = client.get(f"/reservations/{lease.bookings.get().pk}/").content.decode()
    assert 'id="awaiting-replacement"' in detail
