import pytest

from tenancy.models import Membership, Role
from tests.factories import ResourceFactory, ResourceTypeFactory, UserFactory
from training import services
from training.models import Requirement


@pytest.fixture
def microscopes(site_a):
    """Two electron microscopes at Berlin whose type needs training, and a server that does not."""
    kind = ResourceTypeFactory(site=site_a, name="Electron microscope")
    other = ResourceTypeFactory(site=site_a, name="Server")
    return {
        "type": kind,
        "krios": ResourceFactory(site=site_a, resource_type=kind, name="krios"),
        "glacios": ResourceFactory(site=site_a, resource_type=kind, name="glacios"),
        "server": ResourceFactory(site=site_a, resource_type=other, name="srv-01"),
        "requirement": Requirement.objects.create(resource_type=kind, description="Safety and alignment, 2 h."),
    }


@pytest.fixture
def trainer(site_a, microscopes):
    user = UserFactory(username="tina", first_name="Tina", last_name="Trainer")
    Membership.objects.create(site=site_a, user=user, role=Role.MEMBER)
    services.trainer_add(actor=None, user=user, resource_type=microscopes["type"])
    return user


@pytest.fixture
def qualified(member, microscopes):
    def grant(user=member, **kwargs):
        return services.qualification_grant(actor=None, user=user, requirement=microscopes["requirement"], **kwargs)

    return grant


@pytest.fixture
def second_member(site_a):
    user = UserFactory(username="colleague")
    Membership.objects.create(site=site_a, user=user, role=Role.MEMBER)
    return user
