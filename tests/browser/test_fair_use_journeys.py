"""Fair use in a real Chromium, at phone width: a booking waits for approval and a site
administrator approves it in the queue; a user checks in; a user joins a waitlist and gets the
slot when it is cancelled. Each page fits 390 px without sideways scrolling."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reservations import services
from reservations.models import Reservation, ReservationStatus
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    krios = ResourceFactory(
        site=site,
        resource_type=ResourceTypeFactory(site=site, name="Cryo-EM", requires_approval=True),
        name="Krios-1",
    )
    scope = ResourceFactory(
        site=site,
        resource_type=ResourceTypeFactory(site=site, name="Confocal", checkin_window=timedelta(minutes=15)),
        name="confocal-1",
    )
    gpu = ResourceFactory(site=site, resource_type=ResourceTypeFactory(name="GPU"), name="gpu-7")
    member = UserFactory(username="member", first_name="Mia")
    other = UserFactory(username="other", first_name="Olu")
    admin = UserFactory(username="siteadmin", first_name="Sam", is_staff=True)
    for user, role in ((member, Role.MEMBER), (other, Role.MEMBER), (admin, Role.ADMIN)):
        Membership.objects.create(site=site, user=user, role=role)
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    return {"krios": krios, "scope": scope, "gpu": gpu, "member": member, "other": other, "admin": admin, "day": day}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="Europe/Berlin")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def book_with_the_form(page, live_server, resource, day, first, last):
    page.goto(f"{live_server.url}/reservations/new/?resource={resource.pk}")
    page.get_by_label("Start").fill(f"{day.isoformat()}T{first:02d}:00")
    page.get_by_label("End").fill(f"{day.isoformat()}T{last:02d}:00")
    page.get_by_role("button", name="Book").click()


def test_a_booking_waits_for_approval_and_is_approved_in_the_queue(phone, live_server, scene):
    page, day = phone, scene["day"]
    log_in(page, live_server, "member")
    book_with_the_form(page, live_server, scene["krios"], day, 10, 12)
    expect(page.locator("#pending")).to_contain_text("Waiting for a site administrator's approval")
    fits(page)
    page.context.clear_cookies()  # the next person on the same phone

    log_in(page, live_server, "siteadmin")
    page.goto(f"{live_server.url}/approvals/")
    card = page.locator("article.approval", has_text="Krios-1")
    expect(card).to_contain_text("Mia")
    fits(page)
    card.get_by_role("button", name="Approve").click()
    expect(page.locator("#no-approvals")).to_be_visible()
    assert Reservation.objects.get(resource=scene["krios"]).status == ReservationStatus.CONFIRMED


def test_a_user_checks_in(phone, live_server, scene):
    page = phone
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=2)
    booking = services.reservation_create(  # begun two minutes ago: only an administrator books the past
        actor=scene["admin"],
        owner=scene["member"],
        resource=scene["scope"],
        start=start,
        end=start + timedelta(hours=1),
    )
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/reservations/{booking.pk}/")
    expect(page.locator("#checkin-due")).to_be_visible()
    fits(page)
    page.get_by_role("button", name="Check in").click()
    expect(page.locator("#checked-in")).to_contain_text("Checked in")
    booking.refresh_from_db()
    assert booking.checked_in_at is not None


def test_a_user_joins_the_waitlist_and_gets_the_slot_when_it_is_cancelled(phone, live_server, scene):
    page, day = phone, scene["day"]
    taken = services.reservation_create(actor=scene["other"], resource=scene["gpu"], start=at(day, 14), end=at(day, 16))
    log_in(page, live_server, "member")
    book_with_the_form(page, live_server, scene["gpu"], day, 14, 15)
    expect(page.locator("#waitlist-offer")).to_contain_text("Taken")
    fits(page)
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.locator("#waiting")).to_contain_text("gpu-7")
    fits(page)

    services.reservation_cancel(actor=scene["other"], reservation=taken)

    page.goto(f"{live_server.url}/reservations/mine/")
    expect(page.locator("#waiting")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("From the waitlist")
    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator("body")).to_contain_text("You got gpu-7 from the waitlist")
