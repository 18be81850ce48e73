"""reservoir.reservoir.allocation_template and the free_ports lookup, from a real ansible-playbook."""

import pytest

from registry.models import Allocation, AllocationTemplate

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_template_is_applied_once_for_a_service_and_released(ansible, scene):
    AllocationTemplate.objects.create(
        name="gpu job",
        specs=[
            {"resource_type": "port", "resource_value": "next:20000-20999", "resource_name": "job {job} port"},
            {"resource_type": "directory", "resource_value": "/scratch/job-{job}"},
        ],
    )
    args = {"template": "gpu job", "site": "berlin", "service": "job-42", "variables": {"job": 42}}
    (checked,) = ansible.play({"reservoir.reservoir.allocation_template": args}, check=True)
    assert checked["changed"] is True and not Allocation.objects.exists()
    first, second = ansible.play(
        {"reservoir.reservoir.allocation_template": args}, {"reservoir.reservoir.allocation_template": args}
    )
    assert first["changed"] is True and second["changed"] is False
    assert sorted(a["resource_value"] for a in first["allocations"]) == ["/scratch/job-42", "20000"]
    assert Allocation.objects.count() == 2
    (released,) = ansible.play({"reservoir.reservoir.allocation_template": {**args, "state": "absent"}})
    assert released["changed"] is True
    assert set(Allocation.objects.values_list("status", flat=True)) == {"released"}


def test_free_ports_and_addresses_for_templates(ansible, scene):
    ansible.play(
        {
            "reservoir.reservoir.allocation": {
                "site": "berlin",
                "resource_type": "port",
                "resource_name": "taken",
                "resource_value": "20000",
                "owner_service": "other",
            }
        }
    )
    ports = "{{ lookup('reservoir.reservoir.free_ports', count=3, range='20000-20999') }}"
    address = "{{ lookup('reservoir.reservoir.free_ports', network='10.20.0.0/29') }}"
    found = ansible.play({"ansible.builtin.debug": {"msg": ports}}, {"ansible.builtin.debug": {"msg": address}})
    assert found[0]["msg"] == [20001, 20002, 20003], found
    assert found[1]["msg"] == "10.20.0.1", found  # one value: lookup() gives it, not a list
