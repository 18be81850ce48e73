"""Leases: any N matching machines, all or none, the earliest time N are free together, never the
same machine twice under concurrency, moved and cancelled as one, with lease events."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils.dateparse import parse_datetime

from common.exceptions import Conflict
from reservations import services as bookings
from reservations.leases import services as leases
from reservations.leases.models import Lease
from reservations.models import Reservation, ReservationStatus
from tests.concurrency import race
from tests.factories import ResourceFactory, ResourceTypeFactory, UserFactory
from webhooks.models import Event

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(site_a):
    """Six A100 servers (four with 80 GB), two H100, at Berlin."""
    kind = ResourceTypeFactory(name="GPU server", site=site_a)
    servers = {}
    for i in range(6):
        memory = 80 if i < 4 else 40
        servers[f"a100-{i}"] = ResourceFactory(
            site=site_a, resource_type=kind, name=f"a100-{i}", attributes={"gpu_model": "A100", "gpu_memory_gb": memory}
        )
    for i in range(2):
        servers[f"h100-{i}"] = ResourceFactory(
            site=site_a, resource_type=kind, name=f"h100-{i}", attributes={"gpu_model": "H100", "gpu_memory_gb": 94}
        )
    return {"type": kind, **servers}


def lease(member, site_a, pool, **kwargs):
    return leases.lease_create(actor=member, site=site_a, resource_type=pool["type"], **kwargs)


def test_books_n_matching_machines_least_booked_first(member, site_a, pool):
    bookings.reservation_create(actor=member, resource=pool["a100-0"], start=at(1, 6), end=at(1, 8))
    made = lease(
        member, site_a, pool, count=2, where="gpu_model = A100, gpu_memory_gb >= 80", start=at(1, 9), end=at(1, 17)
    )
    taken = sorted(b.resource.name for b in made.bookings.all())
    assert taken == ["a100-1", "a100-2"]  # a100-0 already has hours that day; then by name
    assert {(b.start, b.end, b.status) for b in made.bookings.all()} == {(at(1, 9), at(1, 17), "confirmed")}
    event = Event.objects.get(type="lease.created")
    data = event.payload["data"]
    assert data["lease"]["id"] == made.pk and data["lease"]["count"] == 2
    assert sorted(r["name"] for r in data["resources"]) == taken
    assert Event.objects.filter(type="reservation.created").count() == 3  # one per booking, besides


def test_all_or_none_and_the_409_says_how_many_were_free(member, site_a, pool):
    for name in ("a100-0", "a100-1", "a100-2"):
        bookings.reservation_create(actor=member, resource=pool[name], start=at(1, 10), end=at(1, 11))
    before = Reservation.objects.count()
    with pytest.raises(Conflict) as refused:
        lease(
            member, site_a, pool, count=2, where="gpu_model = A100, gpu_memory_gb >= 80", start=at(1, 9), end=at(1, 17)
        )
    assert refused.value.code == "not_enough_free"
    assert "Only 1 of the 4 matching" in refused.value.message
    assert Reservation.objects.count() == before and not Lease.objects.exists()


def test_a_search_window_takes_the_earliest_start_at_which_n_are_free_together(member, site_a, pool):
    bookings.reservation_create(actor=member, resource=pool["h100-0"], start=at(1, 8), end=at(1, 12))
    bookings.reservation_create(actor=member, resource=pool["h100-1"], start=at(1, 10), end=at(1, 14))
    made = lease(
        member,
        site_a,
        pool,
        count=2,
        where="gpu_model = H100",
        duration=timedelta(hours=3),
        window_start=at(1, 8),
        window_end=at(1, 20),
    )
    assert (made.start, made.end) == (at(1, 14), at(1, 17))


def test_the_tree_rule_holds(member, site_a):
    """A server booked whole has no free GPU; GPUs of a free server count one by one."""
    gpu = ResourceTypeFactory(name="GPU", site=site_a)
    server_type = ResourceTypeFactory(name="Server", site=site_a)
    busy_server = ResourceFactory(site=site_a, resource_type=server_type, name="busy")
    free_server = ResourceFactory(site=site_a, resource_type=server_type, name="free")
    for server in (busy_server, free_server):
        for i in range(2):
            ResourceFactory(site=site_a, resource_type=gpu, name=f"{server.name}-gpu{i}", parent=server)
    bookings.reservation_create(actor=member, resource=busy_server, start=at(1, 9), end=at(1, 17))
    made = leases.lease_create(actor=member, site=site_a, resource_type=gpu, count=2, start=at(1, 10), end=at(1, 12))
    assert sorted(b.resource.name for b in made.bookings.all()) == ["free-gpu0", "free-gpu1"]
    with pytest.raises(Conflict):
        leases.lease_create(actor=member, site=site_a, resource_type=gpu, count=1, start=at(1, 10), end=at(1, 12))


def test_moved_extended_and_cancelled_together(member, site_a, pool, second_member):
    made = lease(member, site_a, pool, count=3, where="gpu_model = A100", start=at(2, 9), end=at(2, 12))
    leases.lease_update(actor=member, lease=made, end=at(2, 14))
    assert {(b.start, b.end) for b in made.bookings.all()} == {(at(2, 9), at(2, 14))}
    # One machine taken where the lease would move: nothing moves.
    blocker = sorted(made.bookings.all(), key=lambda b: b.resource.name)[0].resource
    bookings.reservation_create(actor=second_member, resource=blocker, start=at(3, 9), end=at(3, 10))
    with pytest.raises(Conflict) as refused:
        leases.lease_update(actor=member, lease=made, start=at(3, 9), end=at(3, 11))
    assert blocker.name in refused.value.message
    assert {(b.start, b.end) for b in Reservation.objects.filter(lease=made)} == {(at(2, 9), at(2, 14))}
    leases.lease_cancel(actor=member, lease=made, reason="job done")
    assert set(Reservation.objects.filter(lease=made).values_list("status", flat=True)) == {"cancelled"}
    assert Event.objects.filter(type="lease.cancelled").count() == 1
    assert Event.objects.filter(type="lease.updated").count() == 1


def test_only_the_owner_or_a_site_admin_changes_it(member, second_member, site_admin, site_a, pool):
    made = lease(member, site_a, pool, count=1, start=at(2, 9), end=at(2, 12))
    from common.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        leases.lease_cancel(actor=second_member, lease=made)
    leases.lease_update(actor=site_admin, lease=made, end=at(2, 13))


def test_lease_started_and_ended_fire_once_with_every_resource(member, site_a, pool):
    from django.utils import timezone

    from reservations.tasks import fire_boundary

    start = timezone.now() + timedelta(minutes=2)
    made = lease(member, site_a, pool, count=2, where="gpu_model = H100", start=start, end=start + timedelta(hours=1))
    Reservation.objects.filter(lease=made).update(start=timezone.now() - timedelta(seconds=1))
    Lease.objects.filter(pk=made.pk).update(start=timezone.now() - timedelta(seconds=1))
    first, second = Reservation.objects.filter(lease=made).order_by("pk")
    assert fire_boundary(second.pk, "started")  # the first to start starts the lease's others with it
    assert not fire_boundary(first.pk, "started")
    assert Event.objects.filter(type="reservation.started").count() == 2
    started = Event.objects.filter(type="lease.started")
    assert started.count() == 1
    assert len(started.get().payload["data"]["resources"]) == 2
    ids = list(Reservation.objects.filter(lease=made).values_list("pk", flat=True))
    Reservation.objects.filter(pk__in=ids).update(end=timezone.now() - timedelta(seconds=1))
    assert fire_boundary(ids[0], "ended")
    assert not Event.objects.filter(type="lease.ended").exists()  # one machine is still in use
    assert fire_boundary(ids[1], "ended")
    assert Event.objects.filter(type="lease.ended").count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_leases_over_thirty_machines_never_share_and_never_fail(site_a):
    """20 requests for one machine each, plus 5 for two, over a pool of 30: every one succeeds
    (there were enough for all) and no machine is in two leases."""
    from tenancy.models import Membership, Role

    kind = ResourceTypeFactory(name="Node", site=site_a)
    for i in range(30):
        ResourceFactory(site=site_a, resource_type=kind, name=f"node-{i:02d}")
    users = []
    for i in range(25):
        user = UserFactory(username=f"racer{i}")
        Membership.objects.create(site=site_a, user=user, role=Role.MEMBER)
        users.append(user)

    def ask(user, count):
        def call():
            made = leases.lease_create(
                actor=user, site=site_a, resource_type=kind, count=count, start=at(1, 9), end=at(1, 17)
            )
            connection.close()
            return made

        return call

    outcomes = race([ask(u, 1) for u in users[:20]] + [ask(u, 2) for u in users[20:]])
    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert not failures, failures
    taken = list(Reservation.objects.filter(lease__isnull=False).values_list("resource_id", flat=True))
    assert len(taken) == 30 and len(set(taken)) == 30
    with pytest.raises(Conflict):
        leases.lease_create(actor=users[0], site=site_a, resource_type=kind, count=1, start=at(1, 9), end=at(1, 17))


def test_the_api_books_shows_finds_windows_and_cancels(member_api, site_a, pool, member):
    bookings.reservation_create(actor=member, resource=pool["h100-0"], start=at(1, 8), end=at(1, 12))
    found = member_api.get(
        "/api/leases/availability/",
        {
            "site": site_a.pk,
            "resource_type": pool["type"].pk,
            "count": 2,
            "where": "gpu_model = H100",
            "duration": "02:00:00",
            "window_start": at(1, 8).isoformat(),
            "window_end": at(1, 20).isoformat(),
        },
    )
    assert found.status_code == 200, found.content
    assert found.json()["matching"] == 2
    first = found.json()["windows"][0]
    assert parse_datetime(first["start"]) == at(1, 12)
    assert [r["name"] for r in first["resources"]] == ["h100-1", "h100-0"]  # least booked first

    made = member_api.post(
        "/api/leases/",
        {
            "site": site_a.pk,
            "resource_type": pool["type"].pk,
            "count": 2,
            "where": "gpu_model = A100",
            "start": at(2, 9).isoformat(),
            "end": at(2, 11).isoformat(),
            "title": "training",
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "confirmed" and len(body["bookings"]) == 2
    moved = member_api.patch(f"/api/leases/{body['id']}/", {"end": at(2, 12).isoformat()}, format="json")
    assert moved.status_code == 200 and parse_datetime(moved.json()["end"]) == at(2, 12)
    cancelled = member_api.delete(f"/api/leases/{body['id']}/?reason=done")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == ReservationStatus.CANCELLED


def test_the_api_refuses_clearly(member_api, outsider_api, site_a, pool):
    bad = member_api.post(
        "/api/leases/",
        {"site": site_a.pk, "resource_type": pool["type"].pk, "count": 2, "where": "gpu_memory_gb >>= 80"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    too_many = member_api.post(
        "/api/leases/",
        {
            "site": site_a.pk,
            "resource_type": pool["type"].pk,
            "count": 9,
            "start": at(2, 9).isoformat(),
            "end": at(2, 11).isoformat(),
        },
        format="json",
    )
    assert too_many.status_code == 400 and "count" in too_many.json()["errors"]
    foreign = outsider_api.post(
        "/api/leases/",
        {
            "site": site_a.pk,
            "resource_type": pool["type"].pk,
            "count": 1,
            "start": at(2, 9).isoformat(),
            "end": at(2, 11).isoformat(),
        },
        format="json",
    )
    assert foreign.status_code == 400 and "site" in foreign.json()["errors"]


def test_members_see_only_their_own_leases(member_api, member, second_member, site_a, pool, site_admin_api):
    mine = lease(member, site_a, pool, count=1, start=at(2, 9), end=at(2, 10))
    theirs = lease(second_member, site_a, pool, count=1, start=at(2, 9), end=at(2, 10))
    listed = [row["id"] for row in member_api.get("/api/leases/").json()["results"]]
    assert listed == [mine.pk]
    assert member_api.get(f"/api/leases/{theirs.pk}/").status_code == 404
    assert member_api.delete(f"/api/leases/{theirs.pk}/").status_code == 404
    assert {row["id"] for row in site_admin_api.get("/api/leases/").json()["results"]} == {mine.pk, theirs.pk}


def test_the_admin_lists_and_cancels_leases_through_the_service(client, member, site_admin, site_a, pool):
    made = lease(member, site_a, pool, count=2, start=at(2, 9), end=at(2, 11), title="in the console")
    client.force_login(site_admin)
    listed = client.get("/admin/reservations/lease/?q=console")
    assert listed.status_code == 200 and "in the console" in listed.content.decode()
    shown = client.get(f"/admin/reservations/lease/{made.pk}/change/")
    assert shown.status_code == 200 and 'name="_save"' not in shown.content.decode()  # nothing saved past the services
    client.post("/admin/reservations/lease/", {"action": "cancel_leases", "_selected_action": [made.pk]}, follow=True)
    assert set(Reservation.objects.filter(lease=made).values_list("status", flat=True)) == {"cancelled"}
    assert Event.objects.filter(type="lease.cancelled").count() == 1


def test_times_out_of_rule_or_range_are_400s_naming_the_field(member_api, site_a, pool):
    base = {"site": site_a.pk, "resource_type": pool["type"].pk, "count": 1}
    past = member_api.post(
        "/api/leases/", {**base, "start": at(-2, 9).isoformat(), "end": at(-2, 10).isoformat()}, format="json"
    )
    assert past.status_code == 400 and "start" in past.json()["errors"], past.content
    far = member_api.get(
        "/api/leases/availability/",
        {
            **base,
            "duration": "01:00:00",
            "window_start": "9999-12-20T00:00:00Z",
            "window_end": "9999-12-31T00:00:00Z",
        },
    )
    assert far.status_code == 400 and "window_start" in far.json()["errors"], far.content
    neither = member_api.post("/api/leases/", base, format="json")
    assert neither.status_code == 400 and "duration" in neither.json()["errors"]


def test_for_one_machine_the_search_agrees_with_the_first_free_slot(member, site_a):
    """The lease search applies the booking rules on numbers; for count 1 it must offer exactly the
    slot the single-booking search offers (cleanup, notice, horizon, blackouts and trees alike)."""
    import random

    from reservations import selectors
    from reservations.leases import search as lease_search
    from reservations.policies import blackouts
    from resources.models import Resource

    kind = ResourceTypeFactory(
        site=site_a,
        name="Scope",
        cleanup=timedelta(minutes=30),
        min_notice=timedelta(hours=2),
        max_horizon=timedelta(days=20),
    )
    machines = [ResourceFactory(site=site_a, resource_type=kind, name=f"scope-{i}") for i in range(5)]
    rng = random.Random(7)
    for machine in machines:
        for day in range(1, 4):
            hour = rng.randrange(6, 18)
            bookings.reservation_create(actor=member, resource=machine, start=at(day, hour), end=at(day, hour + 2))
        # Day 4: gaps of exactly 3 h, too short for 3 h and the booking's own cleanup after it.
        bookings.reservation_create(actor=member, resource=machine, start=at(4, 10), end=at(4, 12))
        bookings.reservation_create(actor=member, resource=machine, start=at(4, 15, 30), end=at(4, 17))
    blackouts.blackout_create(
        actor=UserFactory(username="root2", is_superuser=True),
        site=site_a,
        resource=machines[0],
        start=at(1, 0),
        end=at(3, 0),
        reason="service",
        cancel_bookings=True,
    )
    pool = list(Resource.objects.filter(resource_type=kind).select_related("resource_type", "site").order_by("name"))
    for hours in (1, 3, 9):
        for after_day in (0, 1, 3, 4):
            after, before = at(after_day, 7), at(after_day + 6, 7)
            slot = selectors.first_free_slot(
                user=member, resources=pool, duration=timedelta(hours=hours), after=after, before=before
            )
            windows, _ = lease_search.find(
                actor=member,
                site=site_a,
                resource_type=kind,
                count=1,
                duration=timedelta(hours=hours),
                after=after,
                before=before,
            )
            assert (slot[1] if slot else None) == (windows[0].start if windows else None), (hours, after_day)


def test_lease_events_reach_resource_and_type_scoped_webhooks(member, site_a, pool):
    """A lease is about its machines: webhooks scoped to one of them or to their type hear of it,
    once each; a webhook scoped to a machine outside the lease does not."""
    from webhooks.models import Delivery, ScopeKind, Webhook

    def hook(name, **scope):
        return Webhook.objects.create(
            site=site_a, name=name, url=f"https://hooks.example.org/{name}", secret="s", **scope
        )

    on_machine = hook("h100-0", scope=ScopeKind.RESOURCE, resource=pool["h100-0"])
    on_type = hook("gpu-servers", scope=ScopeKind.RESOURCE_TYPE, resource_type=pool["type"])
    on_site = hook("site")
    elsewhere = hook("a100-5", scope=ScopeKind.RESOURCE, resource=pool["a100-5"])
    made = lease(member, site_a, pool, count=2, where="gpu_model = H100", start=at(2, 9), end=at(2, 12))
    created = Event.objects.get(type="lease.created")
    reached = sorted(Delivery.objects.filter(event=created).values_list("webhook__name", flat=True))
    assert reached == sorted([on_machine.name, on_type.name, on_site.name])
    assert elsewhere.name not in reached
    leases.lease_cancel(actor=member, lease=made, reason="done")
    cancelled = Event.objects.get(type="lease.cancelled")
    assert Delivery.objects.filter(event=cancelled, webhook=on_machine).count() == 1
