"""The waitlist: join a taken slot; when it frees (cancel, move, rejection, release, check-out)
the first waiter whose whole slot is free is booked or told, once, in the same transaction."""

import pytest
from django.core.exceptions import ValidationError

from common.exceptions import Conflict
from notifications.models import Notification
from reservations import services
from reservations.models import Reservation, ReservationStatus
from reservations.policies import approvals, waitlist
from reservations.policies.models import WaitlistEntry, WaitlistStatus
from tests.concurrency import race
from tests.factories import ResourceFactory, ResourceTypeFactory, UserFactory
from webhooks.models import Event

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def third_member(site_a):
    from tenancy.models import Membership, Role

    user = UserFactory(username="third")
    Membership.objects.create(site=site_a, user=user, role=Role.MEMBER)
    return user


def book(user, resource, start, end):
    return services.reservation_create(actor=user, resource=resource, start=start, end=end)


def test_only_a_taken_slot_can_be_waited_for(member, tree):
    with pytest.raises(Conflict) as free:
        waitlist.join(actor=member, resource=tree["gpu0"], start=at(2, 10), end=at(2, 11))
    assert free.value.code == "free"


def test_a_cancellation_books_the_first_waiter(member, second_member, third_member, tree):
    taken = book(member, tree["gpu0"], at(2, 10), at(2, 12))
    first = waitlist.join(actor=second_member, resource=tree["gpu0"], start=at(2, 10), end=at(2, 11))
    waitlist.join(actor=third_member, resource=tree["gpu0"], start=at(2, 10), end=at(2, 11))
    services.reservation_cancel(actor=member, reservation=taken)
    first.refresh_from_db()
    assert first.status == WaitlistStatus.BOOKED and first.booking.owner == second_member
    assert WaitlistEntry.objects.get(user=third_member).status == WaitlistStatus.WAITING
    assert Notification.objects.filter(user=second_member, kind="waitlist.promoted").exists()
    promoted = Event.objects.get(type="waitlist.promoted")
    assert promoted.payload["data"]["waitlist_entry"]["booking"] == first.booking_id


def test_a_waiter_who_asked_to_be_told_is_told_once(member, second_member, tree):
    taken = book(member, tree["gpu0"], at(2, 10), at(2, 12))
    entry = waitlist.join(actor=second_member, resource=tree["gpu0"], start=at(2, 10), end=at(2, 11), auto_book=False)
    services.reservation_update(actor=member, reservation=taken, start=at(2, 11), end=at(2, 12))
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED and entry.booking is None
    services.reservation_cancel(actor=member, reservation=taken)
    assert Notification.objects.filter(user=second_member, kind="waitlist.offered").count() == 1


def test_a_part_freed_keeps_them_waiting(member, second_member, tree):
    taken = book(member, tree["gpu0"], at(2, 10), at(2, 12))
    entry = waitlist.join(actor=second_member, resource=tree["gpu0"], start=at(2, 10), end=at(2, 12))
    services.reservation_update(actor=member, reservation=taken, end=at(2, 11))
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


def test_a_rejection_frees_the_slot_for_the_waiter(member, second_member, site_admin, site_a):
    kind = ResourceTypeFactory(site=site_a, name="Approved", requires_approval=True)
    krios = ResourceFactory(site=site_a, resource_type=kind, name="krios-w")
    pending = book(member, krios, at(2, 10), at(2, 11))
    entry = waitlist.join(actor=second_member, resource=krios, start=at(2, 10), end=at(2, 11))
    approvals.reservation_reject(actor=site_admin, reservation=pending, reason="no")
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED and entry.booking.status == ReservationStatus.PENDING


def test_a_waiter_the_rules_refuse_is_told_why(member, second_member, tree, site_a):
    from decimal import Decimal

    from reservations.policies.models import QuotaPeriod, QuotaRule

    taken = book(member, tree["gpu0"], at(2, 10), at(2, 12))
    entry = waitlist.join(actor=second_member, resource=tree["gpu0"], start=at(2, 10), end=at(2, 12))
    QuotaRule.objects.create(site=site_a, period=QuotaPeriod.DAY, max_hours=Decimal(1))
    services.reservation_cancel(actor=member, reservation=taken)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED and "Quota" in entry.note


def test_pages_and_api(client, member, second_member, member_api, tree):
    book(second_member, tree["gpu0"], at(2, 10), at(2, 12))
    client.force_login(member)
    form = {
        "resource": tree["gpu0"].pk,
        "start": at(2, 10).strftime("%Y-%m-%dT%H:%M"),
        "end": at(2, 11).strftime("%Y-%m-%dT%H:%M"),
        "repeat_ends": "count",
        "repeat_interval": 1,
    }
    refused = client.post("/reservations/new/", form)
    assert 'id="waitlist-offer"' in refused.text
    joined = client.post(
        "/waitlist/join/",
        {"resource": tree["gpu0"].pk, "start": at(2, 10).isoformat(), "end": at(2, 11).isoformat(), "auto_book": "on"},
        follow=True,
    )
    assert "You wait for dgx-01-gpu0" in joined.text and 'id="waiting"' in joined.text
    listed = member_api.get("/api/waitlist/").json()["results"]
    assert [(e["resource_name"], e["status"], e["auto_book"]) for e in listed] == [("dgx-01-gpu0", "waiting", True)]
    left = member_api.delete(f"/api/waitlist/{listed[0]['id']}/")
    assert left.status_code == 200 and left.json()["status"] == "left"
    again = member_api.post(
        "/api/waitlist/",
        {"resource": tree["gpu0"].pk, "start": at(3, 10).isoformat(), "end": at(3, 11).isoformat()},
        format="json",
    )
    assert again.status_code == 409 and again.json()["code"] == "free"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_a_promotion_and_new_bookings_for_the_freed_slot_never_both_win(member, second_member, tree, site_a, round_):
    """The waiter's promotion runs inside the cancellation; twenty others try to book the same
    hour at that moment: exactly one booking holds the slot afterwards."""
    from tenancy.models import Membership, Role

    others = [UserFactory(username=f"rush-{round_}-{i}") for i in range(19)]
    for user in others:
        Membership.objects.create(site=site_a, user=user, role=Role.MEMBER)
    gpu = tree["gpu0"]
    taken = book(member, gpu, at(2, 10), at(2, 11))
    waitlist.join(actor=second_member, resource=gpu, start=at(2, 10), end=at(2, 11))
    calls = [lambda: services.reservation_cancel(actor=member, reservation=taken)]
    calls += [(lambda u=u: book(u, gpu, at(2, 10), at(2, 11))) for u in others]
    race(calls)
    holders = Reservation.objects.filter(resource=gpu, status=ReservationStatus.CONFIRMED)
    assert holders.count() == 1
    entry = WaitlistEntry.objects.get(user=second_member)
    assert (entry.status == WaitlistStatus.BOOKED) == (holders.get().owner == second_member)


@pytest.fixture
def imaged(site_a):
    """A machine whose type asks for an OS image (required), as dgx-01 does in the demo."""
    kind = ResourceTypeFactory(
        site=site_a,
        name="Imaged server",
        parameter_schema=[
            {"key": "os_image", "label": "OS image", "type": "choice", "choices": ["ubuntu", "rocky"], "required": True}
        ],
    )
    return ResourceFactory(site=site_a, resource_type=kind, name="imaged-01")


def test_a_waiter_is_booked_with_the_title_and_parameters_they_asked_for(member, second_member, imaged):
    taken = services.reservation_create(
        actor=member, resource=imaged, start=at(2, 10), end=at(2, 12), parameters={"os_image": "ubuntu"}
    )
    entry = waitlist.join(
        actor=second_member,
        resource=imaged,
        start=at(2, 10),
        end=at(2, 11),
        title="Benchmarks",
        parameters={"os_image": "rocky"},
    )
    services.reservation_cancel(actor=member, reservation=taken)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED, entry.note
    assert (entry.booking.title, entry.booking.parameters) == ("Benchmarks", {"os_image": "rocky"})


def test_a_waitlist_entry_without_a_required_parameter_is_refused_when_joining(member, second_member, imaged):
    services.reservation_create(
        actor=member, resource=imaged, start=at(2, 10), end=at(2, 12), parameters={"os_image": "ubuntu"}
    )
    with pytest.raises(ValidationError) as refused:
        waitlist.join(actor=second_member, resource=imaged, start=at(2, 10), end=at(2, 11))
    assert "os_image: This parameter is required." in refused.value.message_dict["parameters"]
    assert not WaitlistEntry.objects.exists()


def test_the_page_and_the_api_keep_the_parameters(client, member, second_member, member_api, imaged):
    services.reservation_create(
        actor=second_member, resource=imaged, start=at(2, 10), end=at(2, 12), parameters={"os_image": "ubuntu"}
    )
    client.force_login(member)
    refused = client.post(
        "/reservations/new/",
        {
            "resource": imaged.pk,
            "start": at(2, 10).strftime("%Y-%m-%dT%H:%M"),
            "end": at(2, 11).strftime("%Y-%m-%dT%H:%M"),
            "title": "Page run",
            "param_os_image": "rocky",
            "repeat_ends": "count",
            "repeat_interval": 1,
        },
    )
    offer = refused.context["waitlist_offer"]
    joined = client.post(
        "/waitlist/join/",
        {
            "resource": imaged.pk,
            "start": offer["start"].isoformat(),
            "end": offer["end"].isoformat(),
            "auto_book": "on",
            "title": offer["title"],
            "parameters": offer["parameters_json"],
        },
        follow=True,
    )
    assert "You wait for imaged-01" in joined.text
    entry = WaitlistEntry.objects.get(user=member)
    assert (entry.title, entry.parameters) == ("Page run", {"os_image": "rocky"})

    created = member_api.post(
        "/api/waitlist/",
        {
            "resource": imaged.pk,
            "start": at(2, 11).isoformat(),
            "end": at(2, 12).isoformat(),
            "parameters": {"os_image": "ubuntu"},
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["parameters"] == {"os_image": "ubuntu"}
    missing = member_api.post(
        "/api/waitlist/",
        {"resource": imaged.pk, "start": at(2, 11).isoformat(), "end": at(2, 12).isoformat()},
        format="json",
    )
    assert missing.status_code == 400 and "parameters" in missing.json()["errors"]
