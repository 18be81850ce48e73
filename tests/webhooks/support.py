"""Shared pieces of the webhook tests: a site with a server, its GPU, another server."""

import time
from datetime import timedelta

from django.utils import timezone

from reservations import services as bookings
from tenancy.models import Membership, Role
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory
from webhooks import services


def make_scene():
    site = SiteFactory(name="Berlin Lab", slug="berlin")
    admin = UserFactory(username="siteadmin")
    Membership.objects.create(site=site, user=admin, role=Role.ADMIN)
    server_type = ResourceTypeFactory(name="GPU server")
    gpu_type = ResourceTypeFactory(name="GPU")
    server = ResourceFactory(site=site, resource_type=server_type, name="dgx-01")
    gpu = ResourceFactory(site=site, resource_type=gpu_type, name="dgx-01-gpu0", parent=server)
    other = ResourceFactory(site=site, resource_type=server_type, name="dgx-02")
    return {"site": site, "admin": admin, "server": server, "gpu": gpu, "other": other, "gpu_type": gpu_type}


def hook(scene, url, **options):
    webhook, secret = services.webhook_create(
        actor=scene["admin"], site=scene["site"], name=options.pop("name", url), url=url, **options
    )
    return webhook, secret


def soon(hours=1):
    return timezone.now() + timedelta(hours=hours)


def book(scene, resource, start=None, minutes=60):
    start = start or soon()
    return bookings.reservation_create(
        actor=scene["admin"], resource=resource, start=start, end=start + timedelta(minutes=minutes)
    )


def wait(predicate, timeout=20, interval=0.05):
    """Poll until `predicate()` holds, failing after `timeout` seconds (a deadline, not a guess)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("condition not met in time")
