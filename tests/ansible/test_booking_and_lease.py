"""reservoir.reservoir.booking and .lease from a real ansible-playbook: first run changes, second does
not, check mode writes nothing, absent cancels, a refusal fails with the API's message."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import services
from reservations.leases.models import Lease
from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def slot(days=2, hours=2):
    start = (timezone.now() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(hours=hours)


def test_a_booking_is_made_once_and_cancelled(ansible, scene):
    start, end = slot()
    args = {"resource": "a100-0", "site": "berlin", "start": start.isoformat(), "end": end.isoformat(), "title": "Run"}
    (checked,) = ansible.play({"reservoir.reservoir.booking": args}, check=True)
    assert checked["changed"] is True and not Reservation.objects.exists()
    first, second = ansible.play({"reservoir.reservoir.booking": args}, {"reservoir.reservoir.booking": args})
    assert first["changed"] is True and second["changed"] is False
    assert second["booking"]["id"] == first["booking"]["id"] and Reservation.objects.count() == 1
    (cancelled,) = ansible.play({"reservoir.reservoir.booking": {**args, "state": "absent", "reason": "done"}})
    assert cancelled["changed"] is True
    booking = Reservation.objects.get()
    assert (booking.status, booking.cancel_reason) == ("cancelled", "done")


def test_a_taken_slot_fails_the_task_with_the_apis_message(ansible, scene):
    start, end = slot()
    ann = UserFactory(username="ann")
    Membership.objects.create(site=scene["site"], user=ann, role=Role.MEMBER)
    services.reservation_create(actor=ann, resource=scene["servers"][0], start=start, end=end)
    args = {"resource": "a100-0", "site": "berlin", "start": start.isoformat(), "end": end.isoformat()}
    (refused,) = ansible.play({"reservoir.reservoir.booking": args})
    assert refused["failed"] is True and refused["status"] == 409 and refused["code"]
    assert refused["msg"].startswith("a100-0 is already booked from ")  # a colleague's name stays hidden


def test_a_key_makes_a_retry_answer_from_the_first_request(ansible, scene):
    start, end = slot()
    args = {"resource": "a100-1", "site": "berlin", "start": start.isoformat(), "end": end.isoformat(), "key": "k1"}
    (first,) = ansible.play({"reservoir.reservoir.booking": args})
    Reservation.objects.update(end=end + timedelta(hours=1))  # no longer found by its times ...
    (second,) = ansible.play({"reservoir.reservoir.booking": args})
    assert second["changed"] is False and second["booking"]["id"] == first["booking"]["id"]  # ... but by its key
    assert Reservation.objects.count() == 1


def test_a_lease_takes_n_machines_once_with_their_allocations_and_is_cancelled(ansible, scene):
    window_start, window_end = slot(days=1, hours=48)
    args = {
        "site": "berlin",
        "resource_type": "GPU server",
        "count": 2,
        "where": "gpu_memory_gb >= 80",
        "duration": "8h",
        "window_start": window_start.isoformat(),
        "window_end": window_end.isoformat(),
        "title": "Training",
    }
    (checked,) = ansible.play({"reservoir.reservoir.lease": args}, check=True)
    assert checked["changed"] is True and not Lease.objects.exists()
    first, second = ansible.play({"reservoir.reservoir.lease": args}, {"reservoir.reservoir.lease": args})
    assert first["changed"] is True and second["changed"] is False
    assert len(first["machines"]) == 2 and first["lease"]["id"] == second["lease"]["id"]
    assert {m["name"] for m in first["machines"]} <= {s.name for s in scene["servers"]}
    assert Lease.objects.count() == 1 and Reservation.objects.count() == 2
    (cancelled,) = ansible.play({"reservoir.reservoir.lease": {**args, "state": "absent"}})
    assert cancelled["changed"] is True
    assert set(Reservation.objects.values_list("status", flat=True)) == {"cancelled"}
    (again,) = ansible.play({"reservoir.reservoir.lease": {**args, "state": "absent"}})
    assert again["changed"] is False


def test_a_lease_that_cannot_be_had_fails_with_how_many_were_free(ansible, scene):
    start, end = slot()
    args = {
        "site": "berlin",
        "resource_type": "GPU server",
        "count": 5,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    (refused,) = ansible.play({"reservoir.reservoir.lease": args})
    assert refused["failed"] is True and refused["status"] == 400
    assert "Only 4 GPU server resources at Berlin Lab match; 5 asked." in refused["msg"]
