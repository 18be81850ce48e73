"""reservoir.reservoir.resource: sites, types and resources as code, from a real ansible-playbook."""

import pytest

from accounts import services as accounts
from resources.models import Resource, ResourceType
from tenancy.models import Site
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def as_admin(ansible, scene):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    _, token = accounts.api_token_create(actor=root, user=root, name="ansible")
    ansible.env["RESERVOIR_TOKEN"] = token
    return ansible


def test_a_site_a_type_and_machines_as_code(as_admin):
    tasks = [
        {"reservoir.reservoir.resource": {"kind": "site", "name": "Boston Lab", "time_zone": "America/New_York"}},
        {"reservoir.reservoir.resource": {"kind": "resource_type", "name": "H100 server", "site": "boston-lab"}},
        {
            "reservoir.reservoir.resource": {
                "site": "boston-lab",
                "resource_type": "H100 server",
                "name": "h100-0",
                "attributes": {"gpu_model": "H100", "ip": "10.1.0.10"},
            }
        },
    ]
    (checked, *_rest) = as_admin.play(*tasks[:1], check=True)
    assert checked["changed"] is True and not Site.objects.filter(slug="boston-lab").exists()
    first = as_admin.play(*tasks)
    assert [r["changed"] for r in first] == [True, True, True], first
    second = as_admin.play(*tasks)
    assert [r["changed"] for r in second] == [False, False, False], second
    machine = Resource.objects.get(name="h100-0")
    assert machine.attributes == {"gpu_model": "H100", "ip": "10.1.0.10"} and machine.site.slug == "boston-lab"
    moved = {**tasks[2]["reservoir.reservoir.resource"], "attributes": {"gpu_model": "H100", "ip": "10.1.0.11"}}
    (changed,) = as_admin.play({"reservoir.reservoir.resource": moved}, diff=True)
    assert changed["changed"] is True and changed["diff"]["after"]["attributes"]["ip"] == "10.1.0.11"
    (down,) = as_admin.play({"reservoir.reservoir.resource": {**moved, "status": "maintenance"}})
    assert down["changed"] is True and Resource.objects.get(name="h100-0").status == "maintenance"
    (gone,) = as_admin.play({"reservoir.reservoir.resource": {**moved, "state": "absent"}})
    assert gone["changed"] is True and not Resource.objects.filter(name="h100-0").exists()
    assert ResourceType.objects.filter(name="H100 server").exists()


def test_a_member_is_refused_with_the_apis_message(ansible, scene):
    (refused,) = ansible.play(
        {"reservoir.reservoir.resource": {"site": "berlin", "resource_type": "GPU server", "name": "a100-9"}}
    )
    assert refused["failed"] is True and refused["status"] == 403 and refused["msg"]
    assert not Resource.objects.filter(name="a100-9").exists()
