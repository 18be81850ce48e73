from datetime import timedelta

import pytest
from django.utils import timezone

from observability.models import Heartbeat
from observability.tasks import heartbeat
from reservations.models import Reservation
from tests.factories import ResourceFactory, ResourceTypeFactory

pytestmark = pytest.mark.django_db


def test_live_status_counts_what_the_operator_may_see(site_admin_api, member_api, member, site_a, site_b):
    kind = ResourceTypeFactory(name="GPU")
    gpu = ResourceFactory(site=site_a, resource_type=kind, name="gpu0")
    ResourceFactory(site=site_a, resource_type=kind, name="gpu1", status="maintenance")
    ResourceFactory(site=site_b, resource_type=kind, name="elsewhere")
    now = timezone.now()
    Reservation.objects.create(
        resource=gpu, owner=member, start=now - timedelta(minutes=5), end=now + timedelta(hours=1)
    )
    heartbeat((now - timedelta(seconds=2)).isoformat())
    body = site_admin_api.get("/api/dashboard/status/").json()
    assert body["resources_by_site"] == {"Berlin Lab": {"active": 1, "maintenance": 1}}
    assert [b["resource"] for b in body["running"]] == ["gpu0"]
    assert body["processes"]["worker"]["alive"] and body["processes"]["beat"]["alive"]
    assert body["outbox_pending"] == 0 and body["open_registry_conflicts"] == 0
    assert member_api.get("/api/dashboard/status/").status_code == 403


def test_stale_heartbeats_show_dead_processes(site_admin_api):
    Heartbeat.objects.create(name="worker", last_seen=timezone.now() - timedelta(minutes=5))
    body = site_admin_api.get("/api/dashboard/status/").json()
    assert body["processes"]["worker"]["alive"] is False and body["processes"]["beat"]["last_seen"] is None


def test_dashboard_page(client, site_admin, member):
    client.force_login(site_admin)
    page = client.get("/dashboard/").content.decode()
    assert "Operations" in page and "deliveries pending" in page
    client.force_login(member)
    assert client.get("/dashboard/").status_code == 403
