from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

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


def test_live_status_on_the_demo_data(demo_users, api_for):
    """Loaded on Sunday 2026-11-22; on Monday gpu0 is booked 09:00-12:00 and gpu1 13:00-14:00 (Berlin, UTC+1)."""
    users = demo_users
    with freeze_time("2026-11-23 08:30:00"):  # 09:30 in Berlin
        body = api_for(users["admin"]).get("/api/dashboard/status/").json()
    assert body["resources_by_site"] == {
        "Berlin Lab": {"active": 6},
        "Boston DC": {"active": 4, "unavailable": 1},
    }
    assert [(b["resource"], b["owner"], b["end"]) for b in body["running"]] == [
        ("dgx-01-gpu0", "user", "2026-11-23T11:00:00Z")
    ]
    assert body["starting_within_hour"] == []
    with freeze_time("2026-11-23 11:30:00"):  # 12:30 in Berlin
        body = api_for(users["siteadmin"]).get("/api/dashboard/status/").json()
    assert body["running"] == []
    assert [(b["resource"], b["start"]) for b in body["starting_within_hour"]] == [
        ("dgx-01-gpu1", "2026-11-23T12:00:00Z")
    ]
    assert list(body["resources_by_site"]) == ["Berlin Lab"]
