"""Site administrators decide corrections on their page; usage per project and PI for funder
reports, as a page, CSV and API, scoped like every billing read."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from billing import services
from billing.models import Adjustment, AdjustmentStatus, Charge
from billing.selectors import zone
from reservations import services as bookings
from tests.factories import ResourceFactory, ResourceTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def charged(member, project, gpus, finish, rate):
    """Two finished bookings of the member, charged to the project (3 h and 1 h at 10/h)."""
    services.default_project_set(actor=member, project=project)
    made = []
    for hours, name in ((3, "gpu-0"), (1, "gpu-1")):
        start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=48)
        made.append(finish(bookings.reservation_create(
            actor=member, resource=gpus[name], start=start, end=start + timedelta(hours=hours))))  # fmt: skip
    return list(Charge.objects.order_by("hours"))


def _this_month() -> str:
    return f"{timezone.now().astimezone(zone()):%Y-%m}"


def test_a_site_admin_approves_a_correction_on_the_corrections_page(charged, member, site_admin, project):
    asked = services.adjustment_request(actor=member, charge=charged[1], hours=Decimal("-1"), amount=Decimal("-10"),
                                        reason="the node crashed")  # fmt: skip
    admin = Client()
    admin.force_login(site_admin)
    page = admin.get("/billing/corrections/").content.decode()
    assert "the node crashed" in page and "ERC-101" in page and "Approve" in page
    done = admin.post("/billing/corrections/", {"adjustment": asked.pk, "decision": "approve"}, follow=True)
    assert "Approved the correction of gpu-0 for ERC-101" in done.content.decode()
    asked.refresh_from_db()
    assert asked.status == AdjustmentStatus.APPROVED and asked.decided_by == site_admin
    assert "No correction waits" in admin.get("/billing/corrections/").content.decode()
    year, month = _this_month().split("-")
    statement = admin.get(f"/projects/{project.pk}/statements/{year}-{month}/").content.decode()
    assert "-10.00" in statement


def test_a_rejection_needs_a_reason_and_then_stands(charged, member, site_admin):
    asked = services.adjustment_request(actor=member, charge=charged[0], hours=Decimal("0"), amount=Decimal("-5"),
                                        reason="too dear")  # fmt: skip
    admin = Client()
    admin.force_login(site_admin)
    refused = admin.post("/billing/corrections/", {"adjustment": asked.pk, "decision": "reject"}, follow=True)
    assert "Say why the correction is rejected" in refused.content.decode()
    assert Adjustment.objects.get().status == AdjustmentStatus.REQUESTED
    admin.post("/billing/corrections/", {"adjustment": asked.pk, "decision": "reject", "reason": "the rate holds"})
    asked.refresh_from_db()
    assert (asked.status, asked.decision_reason) == (AdjustmentStatus.REJECTED, "the rate holds")


def test_only_the_sites_administrators_see_and_decide_corrections(charged, member, outsider, site_b):
    asked = services.adjustment_request(actor=member, charge=charged[0], hours=Decimal("0"), amount=Decimal("-5"),
                                        reason="too dear")  # fmt: skip
    own = Client()
    own.force_login(member)
    assert own.get("/billing/corrections/").status_code == 403
    assert own.post("/billing/corrections/", {"adjustment": asked.pk, "decision": "approve"}).status_code == 403
    from tenancy.models import Membership, Role

    Membership.objects.filter(user=outsider, site=site_b).update(role=Role.ADMIN)
    other = Client()
    other.force_login(outsider)  # administers another site: sees nothing of site A's, cannot decide it
    assert "too dear" not in other.get("/billing/corrections/").content.decode()
    assert other.post("/billing/corrections/", {"adjustment": asked.pk, "decision": "approve"}).status_code == 404
    assert Adjustment.objects.get().status == AdjustmentStatus.REQUESTED


def test_usage_per_project_and_pi_adds_charges_and_corrections(charged, member, site_admin, pi, project, api_for):
    asked = services.adjustment_request(actor=member, charge=charged[1], hours=Decimal("-1"), amount=Decimal("-10"),
                                        reason="the node crashed")  # fmt: skip
    services.adjustment_decide(actor=site_admin, adjustment=asked, approve=True)
    month = _this_month()
    body = api_for(pi).get(f"/api/projects/usage/?first={month}&last={month}").json()
    assert body["by_project"] == [
        {"project": project.pk, "code": "ERC-101", "name": "Protein folding", "pi": "pia", "price_group": "internal",
         "bookings": 2, "hours": "3.00", "charged": "40.00", "adjusted": "-10.00", "total": "30.00"}
    ]  # fmt: skip
    assert body["by_pi"] == [{"pi": "pia", "projects": 1, "bookings": 2, "hours": "3.00", "total": "30.00"}]
    assert body["by_type"][0]["resource_type"] == "GPU server" and body["by_type"][0]["amount"] == "40.00"
    page = Client()
    page.force_login(pi)
    html = page.get(f"/billing/usage/?first={month}&last={month}").content.decode()
    assert 'data-project="ERC-101"' in html and "30.00" in html
    exported = page.get(f"/billing/usage/?first={month}&last={month}&format=csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0][:3] == ["from", "to", "project"]
    assert rows[-1][6:] == ["total", "2", "3.00", "30.00"] and rows[-2][6:] == ["corrections", "", "", "-10.00"]


def test_usage_is_filtered_by_type_and_scoped_to_who_asks(charged, member, outsider, api_for, site_a, site_admin,
                                                         project):  # fmt: skip
    month = _this_month()
    other = ResourceTypeFactory(site=site_a, name="Microscope")
    ResourceFactory(site=site_a, resource_type=other, name="krios")
    by_type = api_for(site_admin).get(f"/api/projects/usage/?first={month}&last={month}&resource_type={other.pk}")
    assert by_type.json()["by_project"] == []
    stranger = api_for(outsider).get(f"/api/projects/usage/?first={month}&last={month}").json()
    assert stranger["by_project"] == [] and stranger["by_pi"] == []
    mine = api_for(member).get(f"/api/projects/usage/?first={month}&last={month}").json()
    assert mine["by_project"][0]["bookings"] == 2  # a member: their own charges


@pytest.mark.parametrize(
    "query, field",
    [("first=2026-13&last=2026-12", "first"), ("first=2026-05&last=2026-01", "last"),
     ("first=1999-01&last=2026-01", "first"), ("first=2026-01", "last")],
)  # fmt: skip
def test_usage_refuses_bad_months_with_a_400(api_for, member, query, field):
    answer = api_for(member).get(f"/api/projects/usage/?{query}")
    assert answer.status_code == 400 and field in answer.json()["errors"]


def test_the_usage_page_refuses_a_reversed_span_and_an_unknown_site(member):
    page = Client()
    page.force_login(member)
    assert page.get("/billing/usage/?first=2026-05&last=2026-01").status_code == 400
    assert page.get("/billing/usage/?site=999999").status_code == 400
    assert page.get("/billing/usage/").status_code == 200
