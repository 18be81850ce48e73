from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tenancy.models import Membership, Role
from tests.factories import ResourceFactory, ResourceTypeFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")


# "Today" is fixed when the tests start: a test running across Berlin's midnight must not book
# on one day and look on the next.
_TODAY = timezone.now().astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """A time `days` from today at hour:minute, Berlin time (always in the future for days >= 1)."""
    return (_TODAY + timedelta(days=days)).replace(hour=hour, minute=minute)


@pytest.fixture
def tree(site_a):
    """A server with two GPUs and a microscope, at Berlin (site_a)."""
    server_type = ResourceTypeFactory(name="GPU server", color="#e15759")
    gpu_type = ResourceTypeFactory(name="GPU", color="#f28e2b")
    microscope_type = ResourceTypeFactory(
        site=site_a,
        name="Microscope",
        min_duration=timedelta(minutes=30),
        max_duration=timedelta(hours=8),
        max_horizon=timedelta(days=60),
        parameter_schema=[
            {"key": "sample", "label": "Sample", "type": "choice", "required": True, "choices": ["cryo", "rt"]}
        ],
    )
    server = ResourceFactory(site=site_a, resource_type=server_type, name="dgx-01")
    return {
        "server": server,
        "gpu0": ResourceFactory(site=site_a, resource_type=gpu_type, name="dgx-01-gpu0", parent=server),
        "gpu1": ResourceFactory(site=site_a, resource_type=gpu_type, name="dgx-01-gpu1", parent=server),
        "microscope": ResourceFactory(site=site_a, resource_type=microscope_type, name="Krios-1"),
    }


@pytest.fixture
def second_member(site_a):
    user = UserFactory(username="colleague")
    Membership.objects.create(site=site_a, user=user, role=Role.MEMBER)
    return user
