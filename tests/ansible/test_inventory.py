"""reservoir.reservoir.inventory from a real ansible-inventory: exactly the lease's machines, with their
allocations as host variables, ansible_host from an attribute, the groups asked for, and caching."""

from datetime import timedelta

import pytest
from django.utils import timezone

from registry import booking_templates
from registry.models import AllocationTemplate, ApplyAt
from reservations import services
from reservations.leases import services as leases
from tenancy.models import Membership, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def leased(scene):
    admin = UserFactory(username="siteadmin")
    Membership.objects.create(site=scene["site"], user=admin, role=Role.ADMIN)
    template = AllocationTemplate.objects.create(
        name="job",
        specs=[
            {"resource_type": "port", "resource_value": "next:20000-20999", "resource_name": "job {booking_id}"},
            {"resource_type": "directory", "resource_value": "/scratch/job-{booking_id}"},
        ],
    )
    booking_templates.booking_template_create(
        actor=admin, template=template, resource_type=scene["kind"], apply_at=ApplyAt.CREATED
    )
    start = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    lease = leases.lease_create(
        actor=scene["member"],
        site=scene["site"],
        resource_type=scene["kind"],
        count=2,
        start=start,
        end=start + timedelta(hours=8),
        title="Training",
    )
    # Another booking of the member, not in the lease: not in a lease-filtered inventory.
    other = next(s for s in scene["servers"] if not lease.bookings.filter(resource=s).exists())
    services.reservation_create(actor=scene["member"], resource=other, start=start, end=start + timedelta(hours=1))
    return lease


def test_the_inventory_is_exactly_the_leases_machines_with_their_allocations(ansible, leased, tmp_path):
    source = {
        "plugin": "reservoir.reservoir.inventory",
        "lease": leased.pk,
        "host_attribute": "ip",
        "keyed_groups": [{"key": "reservoir_resource.attributes.gpu_model", "prefix": "gpu"}],
        "compose": {"scratch": "reservoir_directories[0]"},
        "groups": {"big": "reservoir_resource.attributes.gpu_memory_gb >= 80"},
    }
    found = ansible.inventory(source)
    machines = sorted(b.resource.name for b in leased.bookings.all())
    hostvars = found["_meta"]["hostvars"]
    assert sorted(hostvars) == machines
    for name in machines:
        host = hostvars[name]
        booking = leased.bookings.get(resource__name=name)
        assert host["ansible_host"] == f"10.0.0.{10 + int(name[-1])}"
        assert host["reservoir_booking"]["id"] == booking.pk and host["reservoir_lease"]["id"] == leased.pk
        assert host["reservoir_directories"] == [f"/scratch/job-{booking.pk}"] == [host["scratch"]]
        assert len(host["reservoir_ports"]) == 1 and host["reservoir_ports"][0].startswith("200")
    for group in (f"lease_{leased.pk}", "site_berlin_lab", "type_gpu_server", "gpu_A100", "big"):
        assert sorted(found[group]["hosts"]) == machines, group


def test_naming_a_lease_lists_its_machines_however_far_out_it_is(ansible, scene):
    start = (timezone.now() + timedelta(days=800)).replace(minute=0, second=0, microsecond=0)
    far = leases.lease_create(
        actor=scene["member"],
        site=scene["site"],
        resource_type=scene["kind"],
        count=2,
        start=start,
        end=start + timedelta(hours=4),
        title="Next year's run",
    )
    found = ansible.inventory({"plugin": "reservoir.reservoir.inventory", "lease": far.pk})
    assert sorted(found["_meta"]["hostvars"]) == sorted(b.resource.name for b in far.bookings.all())


def test_all_my_bookings_by_default_and_a_cache_answers_the_second_time(ansible, leased, tmp_path):
    source = {
        "plugin": "reservoir.reservoir.inventory",
        "cache": True,
        "cache_plugin": "ansible.builtin.jsonfile",
        "cache_connection": str(tmp_path / "cache"),
        "cache_timeout": 3600,
    }
    first = ansible.inventory(source)
    assert len(first["_meta"]["hostvars"]) == 3  # the lease's two and the single booking's machine
    leases.lease_cancel(actor=leased.owner, lease=leased)
    cached = ansible.inventory(source)
    assert sorted(cached["_meta"]["hostvars"]) == sorted(first["_meta"]["hostvars"])
    fresh = ansible.inventory({**source, "cache": False})
    assert len(fresh["_meta"]["hostvars"]) == 1
