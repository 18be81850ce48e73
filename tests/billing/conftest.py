from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from reservations.models import Reservation
from reservations.tasks import fire_boundary
from tenancy.models import Membership, Role
from tests.factories import ResourceFactory, ResourceTypeFactory, UserFactory


@pytest.fixture
def pi(site_a):
    user = UserFactory(username="pia", first_name="Pia", last_name="Investigator")
    Membership.objects.create(site=site_a, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def gpus(site_a):
    kind = ResourceTypeFactory(site=site_a, name="GPU server")
    return {
        "type": kind,
        **{f"gpu-{i}": ResourceFactory(site=site_a, resource_type=kind, name=f"gpu-{i}") for i in range(16)},
    }


@pytest.fixture
def project(site_a, site_admin, pi, member):
    made = services.project_create(
        actor=site_admin, name="Protein folding", code="ERC-101", pi=pi, sites=[site_a],
        starts_on=date.today() - timedelta(days=400),
    )  # fmt: skip
    services.member_add(actor=pi, project=made, user=member)
    return made


@pytest.fixture
def rate(site_admin, gpus):
    return services.rate_save(
        actor=site_admin, resource_type=gpus["type"], price_group="internal", per_hour=Decimal("10.00"),
        rounding_minutes=15, late_cancel_hours=24, late_cancel_percent=50, no_show_percent=100,
    )  # fmt: skip


@pytest.fixture
def finish():
    """Ends a booking as the start/end scheduler does once its end has passed."""

    def run(booking):
        now = timezone.now()
        Reservation.objects.filter(pk=booking.pk).update(
            start=now - (booking.end - booking.start) - timedelta(minutes=1), end=now - timedelta(minutes=1)
        )
        fire_boundary.run(booking.pk, "ended")
        return Reservation.objects.get(pk=booking.pk)

    return run
