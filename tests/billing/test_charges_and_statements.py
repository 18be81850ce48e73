"""Every finished booking is charged once by its rules into an append-only ledger; corrections are
adjustment rows; statements (page, CSV, PDF read back) add up."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEntry
from billing import services
from billing.models import Charge, ChargeRule
from billing.selectors import zone
from common.exceptions import PermissionDenied
from reservations import services as bookings
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(member, project, gpus):
    services.default_project_set(actor=member, project=project)

    def book(hours=2, in_hours=48, resource="gpu-0"):
        start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=in_hours)
        return bookings.reservation_create(
            actor=member, resource=gpus[resource], start=start, end=start + timedelta(hours=hours)
        )

    return book


def test_a_finished_booking_writes_one_charge_with_its_rate_and_rule(booked, finish, rate, project):
    booking = finish(booked(hours=2))
    charge = Charge.objects.get()
    assert (charge.reservation_id, charge.project, charge.hours, charge.per_hour, charge.amount, charge.rule) == (
        booking.pk,
        project,
        Decimal("2.00"),
        Decimal("10.00"),
        Decimal("20.00"),
        ChargeRule.BOOKED,
    )
    finish(booking)  # the end handed over twice: still one row
    assert Charge.objects.count() == 1
    event = Event.objects.get(type="charge.created")
    assert event.payload["data"]["charge"]["amount"] == "20.00"
    assert AuditEntry.objects.filter(action="charge.created").count() == 1


def test_a_late_cancellation_charges_its_share(booked, rate, member):
    early = booked(hours=4, in_hours=72)
    bookings.reservation_cancel(actor=member, reservation=early)
    assert not Charge.objects.exists()  # three days ahead: free
    late = booked(hours=4, in_hours=3, resource="gpu-1")
    bookings.reservation_cancel(actor=member, reservation=late)
    charge = Charge.objects.get()
    assert (charge.rule, charge.hours, charge.amount) == (ChargeRule.LATE_CANCEL, Decimal("2.00"), Decimal("20.00"))
    assert "50 % of booked time" in charge.detail


def test_the_minimum_charge_and_rounding(booked, finish, rate, site_admin, gpus):
    services.rate_save(actor=site_admin, resource_type=gpus["type"], price_group="internal", minimum_hours=Decimal(1))
    booking = booked(hours=1)
    booking.end = booking.start + timedelta(minutes=20)
    booking.save(update_fields=["end"])
    finish(booking)
    charge = Charge.objects.get()
    assert (charge.rule, charge.hours, charge.amount) == (ChargeRule.MINIMUM, Decimal("1.00"), Decimal("10.00"))


def test_an_adjustment_corrects_the_statement(booked, finish, rate, project, member, pi, site_admin):
    finish(booked(hours=3))
    charge = Charge.objects.get()
    with pytest.raises(PermissionDenied):
        services.adjustment_request(actor=site_admin.__class__.objects.create(username="stranger"), charge=charge,
                                    hours=Decimal(0), amount=Decimal(-5), reason="x")  # fmt: skip
    asked = services.adjustment_request(
        actor=member, charge=charge, hours=Decimal(-1), amount=Decimal("-10.00"), reason="The node crashed for an hour"
    )
    with pytest.raises(PermissionDenied):
        services.adjustment_decide(actor=pi, adjustment=asked, approve=True)  # the PI does not approve
    services.adjustment_decide(actor=site_admin, adjustment=asked, approve=True, reason="Confirmed in the logs")
    charge.refresh_from_db()
    assert charge.amount == Decimal("30.00")  # the charge itself never changes
    today = timezone.now().astimezone(zone())
    client = Client()
    client.force_login(pi)
    month = f"{today.year}-{today.month:02d}"
    api = client.get(f"/api/projects/{project.pk}/statement/?month={month}").json()
    assert (api["charged"], api["adjusted"], api["total"]) == ("30.00", "-10.00", "20.00")
    csv = client.get(f"/projects/{project.pk}/statements/{month}.csv").content.decode()
    assert "The node crashed for an hour" in csv and csv.strip().splitlines()[-1].endswith(",20.00,")
    pdf = client.get(f"/projects/{project.pk}/statements/{month}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Statement ERC-101" in text and "Pia Investigator" in text
    assert "The node crashed" in text and "20.00" in text and "-10.00" in text
    page = client.get(f"/projects/{project.pk}/statements/{month}/").content.decode()
    assert "gpu-0" in page and "20.00" in page


def test_a_pi_sees_only_their_projects_and_members_their_own_charges(api_for, booked, finish, rate, project, pi,
                                                                     member, site_a, site_admin, gpus):  # fmt: skip
    other_pi = site_admin.__class__.objects.create(username="otto")
    from tenancy.models import Membership, Role

    Membership.objects.create(site=site_a, user=other_pi, role=Role.MEMBER)
    other = services.project_create(actor=site_admin, name="Other", code="NSF-9", pi=other_pi, sites=[site_a],
                                    starts_on=project.starts_on)  # fmt: skip
    finish(booked(hours=1))
    assert [p["code"] for p in api_for(pi).get("/api/projects/").json()["results"]] == ["ERC-101"]
    assert api_for(pi).get(f"/api/projects/{other.pk}/").status_code == 404
    assert [p["code"] for p in api_for(other_pi).get("/api/projects/").json()["results"]] == ["NSF-9"]
    assert api_for(other_pi).get("/api/charges/").json()["results"] == []
    assert len(api_for(pi).get("/api/charges/").json()["results"]) == 1
    assert len(api_for(member).get("/api/charges/").json()["results"]) == 1
    assert api_for(member).post(f"/api/projects/{other.pk}/make-default/").status_code == 404


def test_nothing_is_learnable_across_sites(api_for, outsider, booked, finish, rate, project):
    finish(booked(hours=1))
    api = api_for(outsider)
    for path in ("projects", "project-members", "budgets", "charges", "adjustments"):
        listed = api.get(f"/api/{path}/")
        assert listed.status_code == 200 and listed.json()["results"] == [], path
    assert api.get(f"/api/projects/{project.pk}/").status_code == 404
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/projects/{project.pk}/statements/2026-12.pdf").status_code == 404
    assert client.get(f"/projects/{project.pk}/").status_code == 404


def test_measured_use_charges_the_greater_of_use_and_a_share_of_booked(booked, finish, rate, site_admin, gpus):
    from machines.models import BookingUsage

    services.rate_save(actor=site_admin, resource_type=gpus["type"], price_group="internal", charge_actual_use=True,
                       booked_share_percent=25)  # fmt: skip
    idle = booked(hours=4)
    BookingUsage.objects.create(reservation=idle, sampled=timedelta(hours=4), active=timedelta(minutes=30))
    busy = booked(hours=4, resource="gpu-1")
    BookingUsage.objects.create(reservation=busy, sampled=timedelta(hours=4), active=timedelta(hours=3))
    finish(idle)
    finish(busy)
    idle_charge, busy_charge = Charge.objects.get(reservation=idle), Charge.objects.get(reservation=busy)
    assert (idle_charge.rule, idle_charge.hours) == (ChargeRule.ACTUAL, Decimal("1.00"))  # 25 % of 4 h booked
    assert (busy_charge.rule, busy_charge.hours) == (ChargeRule.ACTUAL, Decimal("3.00"))
    assert "used 0.50 h" in idle_charge.detail


def test_eighty_percent_of_a_budget_sends_budget_low_once(booked, site_admin, project, gpus):
    services.budget_save(actor=site_admin, project=project, resource_type=gpus["type"], period="project",
                         hours=Decimal(10))  # fmt: skip
    booked(hours=7)
    assert not Event.objects.filter(type="project.budget_low").exists()
    booked(hours=1, resource="gpu-1")
    booked(hours=1, resource="gpu-2")
    event = Event.objects.get(type="project.budget_low")
    assert event.payload["data"]["used_hours"] == "8.00" and event.payload["data"]["budget_hours"] == "10.00"


def test_a_member_asks_for_a_correction_on_the_statement_page(booked, finish, rate, project, member):
    finish(booked(hours=2))
    charge = Charge.objects.get()
    client = Client()
    client.force_login(member)
    now = timezone.now().astimezone(zone())
    url = f"/projects/{project.pk}/statements/{now.year}-{now.month:02d}/"
    client.post(url, {"charge": charge.pk, "hours": "abc", "amount": "1", "reason": "x"})
    assert not charge.adjustments.exists()
    done = client.post(url, {"charge": charge.pk, "hours": "-1", "amount": "-10", "reason": "Crashed"}, follow=True)
    assert "Correction asked for" in done.content.decode() and "Waiting for a decision" in done.content.decode()
    assert charge.adjustments.get().amount == Decimal("-10")
