"""reservoir.reservoir.allocation from a real ansible-playbook: the first run takes, the second
changes nothing, check mode writes nothing, absent releases, a refusal fails with the API's words."""

import pytest

from registry.models import Allocation

pytestmark = pytest.mark.django_db(transaction=True)

PORT = {
    "site": "berlin",
    "resource_type": "port",
    "resource_name": "job 42 port",
    "resource_value": "next",
    "range": "20000-20999",
    "owner_service": "training",
}


def task(**args):
    return {"reservoir.reservoir.allocation": args}


def test_the_next_free_port_is_taken_once_and_released(ansible):
    (checked,) = ansible.play(task(**PORT), check=True)
    assert checked["changed"] is True and not Allocation.objects.exists()
    (first,) = ansible.play(task(**PORT))
    assert first["changed"] is True and first["allocation"]["resource_value"] == "20000"
    (second,) = ansible.play(task(**PORT))
    assert second["changed"] is False and second["allocation"]["id"] == first["allocation"]["id"]
    assert Allocation.objects.count() == 1
    (released,) = ansible.play(task(**{**PORT, "state": "absent"}), diff=True)
    assert released["changed"] is True and released["diff"]["before"]["resource_value"] == "20000"
    assert Allocation.objects.get().status == "released"
    (again,) = ansible.play(task(**{**PORT, "state": "absent"}))
    assert again["changed"] is False


def test_a_value_held_by_another_service_fails_with_the_apis_message(ansible):
    directory = {
        "site": "berlin",
        "resource_type": "directory",
        "resource_name": "scratch",
        "resource_value": "/scratch/job-42",
        "owner_service": "training",
    }
    (first,) = ansible.play(task(**directory))
    assert first["changed"] is True
    (taken,) = ansible.play(task(**{**directory, "owner_service": "other"}))
    assert taken.get("failed") is True and taken["status"] == 409
    assert "/scratch/job-42" in taken["msg"] and taken["code"]
    assert Allocation.objects.count() == 1
