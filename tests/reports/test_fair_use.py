"""The fair-use report: no-shows per resource and person, approval decisions and waits, quota usage."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reservations import services
from reservations.models import Reservation
from reservations.policies import approvals
from reservations.policies import tasks as policy_tasks
from reservations.policies.models import QuotaPeriod, QuotaRule
from tests.factories import ResourceFactory, ResourceTypeFactory
from tests.reservations.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(member, site_admin, site_a):
    checked = ResourceTypeFactory(site=site_a, name="Scope", checkin_window=timedelta(minutes=15))
    approved = ResourceTypeFactory(site=site_a, name="Krios", requires_approval=True)
    scope = ResourceFactory(site=site_a, resource_type=checked, name="scope-r")
    krios = ResourceFactory(site=site_a, resource_type=approved, name="krios-r")
    missed = services.reservation_create(actor=member, resource=scope, start=at(1, 9), end=at(1, 10))
    services.reservation_create(actor=member, resource=scope, start=at(1, 11), end=at(1, 12))
    Reservation.objects.filter(pk=missed.pk).update(checkin_until=timezone.now() - timedelta(minutes=1))
    policy_tasks.release_no_shows()
    approvals.reservation_approve(
        actor=site_admin,
        reservation=services.reservation_create(actor=member, resource=krios, start=at(2, 9), end=at(2, 10)),
    )
    services.reservation_create(actor=member, resource=krios, start=at(3, 9), end=at(3, 10))
    QuotaRule.objects.create(site=site_a, period=QuotaPeriod.MONTH, max_hours=Decimal(100))


def test_the_report_through_the_api_and_the_page(site_admin_api, client, site_admin, scene):
    report = site_admin_api.get("/api/reports/fair-use/", {"site": "berlin"})
    assert report.status_code == 200, report.content
    data = report.json()
    assert data["no_shows"]["no_shows"] == 1 and data["no_shows"]["per_user"][0]["owner__username"] == "member"
    assert data["no_shows"]["per_resource"][0]["rate"] == 0.5
    assert data["approvals"]["approved"] == 1 and data["approvals"]["waiting_now"] == 1
    assert data["quotas"][0]["scope"] == "Quota at Berlin Lab for all types per month"
    client.force_login(site_admin)
    page = client.get("/reports/fair-use/?site=berlin").text
    assert "1 of 2 bookings that needed a check-in" in page and "1 approved" in page


def test_members_may_not_see_it(member_api):
    assert member_api.get("/api/reports/fair-use/").status_code == 403


def test_top_users_of_a_quota_rule(scene, site_a):
    from reservations.policies import quotas

    rule = QuotaRule.objects.get(site=site_a)
    top = quotas.top_users(rule, quotas.Span(at(1, 0), at(4, 0)))
    assert top == [{"user": "member", "used_hours": 3.0}]  # the released no-show counts only its used part
