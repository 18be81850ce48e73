from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.utils import timezone

from accounts import services as accounts
from reservations.models import Reservation
from tests.factories import ResourceFactory, ResourceTypeFactory


def new_key():
    """An ed25519 key pair: (private key in OpenSSH PEM, public key line)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return private, public.decode()


@pytest.fixture
def machine(site_a):
    """dgx-01 with two GPUs as parts, and another server beside it."""
    kind = ResourceTypeFactory(site=site_a, name="GPU server")
    server = ResourceFactory(site=site_a, resource_type=kind, name="dgx-01")
    gpus = [ResourceFactory(site=site_a, resource_type=kind, name=f"dgx-01-gpu{i}", parent=server) for i in range(2)]
    other = ResourceFactory(site=site_a, resource_type=kind, name="dgx-02")
    return {"server": server, "gpus": gpus, "other": other}


@pytest.fixture
def with_key():
    def give(user):
        private, public = new_key()
        accounts.ssh_key_add(actor=user, user=user, public_key=f"{public} {user.username}@laptop", label="laptop")
        return private, f"{public} {user.username}@laptop"

    return give


@pytest.fixture
def booked():
    def book(resource, owner, start_in_minutes, end_in_minutes, **extra):
        now = timezone.now()
        return Reservation.objects.create(
            resource=resource,
            owner=owner,
            start=now + timedelta(minutes=start_in_minutes),
            end=now + timedelta(minutes=end_in_minutes),
            **extra,
        )

    return book


@pytest.fixture
def second_member(site_a):
    from tenancy.models import Membership, Role
    from tests.factories import UserFactory

    user = UserFactory(username="colleague")
    Membership.objects.create(site=site_a, user=user, role=Role.MEMBER)
    return user
