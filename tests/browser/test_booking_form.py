"""The one booking form (issue 13): limits said up front, presets for the length, a weekly series
whose taken occurrences show before anything is booked, and site administrators booking for others."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reservations import services
from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    kind = ResourceTypeFactory(name="GPU server", max_duration=timedelta(hours=8), max_horizon=timedelta(days=90))
    gpu = ResourceFactory(site=site, resource_type=kind, name="dgx-01")
    member = UserFactory(username="member", first_name="Mia", last_name="Member")
    admin = UserFactory(username="siteadmin", is_staff=True)
    Membership.objects.create(site=site, user=member, role=Role.MEMBER)
    Membership.objects.create(site=site, user=admin, role=Role.ADMIN)
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    return {"gpu": gpu, "member": member, "admin": admin, "day": day}


def at(day, hour):
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


def test_a_weekly_series_shows_its_taken_occurrences_before_booking_and_skips_them(page, live_server, scene):
    day, week = scene["day"], timedelta(days=7)
    services.reservation_create(
        actor=scene["admin"], resource=scene["gpu"], start=at(day + week, 9), end=at(day + week, 12)
    )
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/reservations/new/")
    page.get_by_label("Resource").select_option(label="dgx-01")  # grouped by site and type
    expect(page.locator("#limits")).to_have_text("GPU server bookings: at most 8 hours, up to 90 days ahead.")
    page.get_by_label("Start").fill(f"{day.isoformat()}T10:00")
    page.get_by_role("button", name="2 h").click()
    expect(page.get_by_label("End")).to_have_value(f"{day.isoformat()}T12:00")
    page.get_by_label("Title").fill("weekly training")
    page.get_by_label("Repeat", exact=True).select_option("WEEKLY")
    page.get_by_label("Number of occurrences").fill("3")
    preview = page.locator("#preview table.preview tbody tr")
    expect(preview).to_have_count(3)  # live, before anything is booked
    expect(preview.nth(1)).to_contain_text("No: taken: dgx-01 is booked")
    expect(preview.nth(0)).to_contain_text("Yes")
    assert not Reservation.objects.filter(title="weekly training").exists()

    page.get_by_role("button", name="Book").click()
    expect(page.locator(".errorlist, .message.error").first).to_contain_text("dgx-01 is already booked")
    page.get_by_label("Skip occurrences that are taken, book the others").check()
    page.get_by_role("button", name="Book").click()
    expect(page.locator(".message")).to_contain_text("Booked 2 occurrences; 1 skipped (taken).")
    starts = list(Reservation.objects.filter(title="weekly training").order_by("start").values_list("start", flat=True))
    assert starts == [at(day, 10), at(day + 2 * week, 10)]


def test_a_site_administrator_books_for_a_member(page, live_server, scene):
    day = scene["day"]
    log_in(page, live_server, "siteadmin")
    page.goto(f"{live_server.url}/reservations/new/?resource={scene['gpu'].pk}")
    page.get_by_label("Start").fill(f"{day.isoformat()}T14:00")
    page.get_by_label("End").fill(f"{day.isoformat()}T15:00")
    page.get_by_label("Book for").select_option(label="Mia Member")
    page.get_by_role("button", name="Book").click()
    expect(page.locator(".message")).to_contain_text("Booked: ")
    booking = Reservation.objects.get()
    assert (booking.owner, booking.created_by) == (scene["member"], scene["admin"])


def test_members_book_for_themselves_only(page, live_server, scene):
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/reservations/new/?resource={scene['gpu'].pk}")
    expect(page.get_by_label("Book for")).to_have_count(0)
