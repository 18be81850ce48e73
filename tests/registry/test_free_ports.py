"""The lowest free port (one query reading the live-ports index in order) agrees with the walk over
the range, wherever the taken runs start and end."""

import random

import pytest
from django.utils import timezone

from registry import services
from registry.models import Allocation, AllocationStatus

pytestmark = pytest.mark.django_db


def _take(site, ports, environment="production", status=AllocationStatus.ACTIVE):
    Allocation.objects.bulk_create(
        Allocation(
            site=site,
            resource_type="port",
            resource_value=str(p),
            port_number=p,
            environment=environment,
            resource_name="x",
            owner_service="svc",
            status=status,
            allocated_at=timezone.now(),
        )
        for p in ports
    )


def lowest(start, end, environment="production"):
    return services.available_ports(start=start, end=end, count=1, environment=environment)


def walked(start, end, environment="production"):
    return services.available_ports(start=start, end=end, count=2, environment=environment)[:1]


def test_the_lowest_free_port_agrees_with_the_walk(site_a):
    taken = set(random.Random(3).sample(range(100, 400), 250)) | set(range(100, 130))
    _take(site_a, sorted(taken))
    for start, end in ((1, 500), (100, 400), (100, 129), (100, 130), (101, 101), (128, 131), (399, 399)):
        assert lowest(start, end) == walked(start, end), (start, end)


def test_released_ports_and_other_environments_are_free(site_a):
    _take(site_a, [10, 11, 12])
    _take(site_a, [13], status=AllocationStatus.RELEASED)
    _take(site_a, [14], environment="staging")
    assert lowest(10, 20) == [13]
    assert lowest(10, 12) == []
    assert lowest(10, 20, environment="staging") == [10]
