"""Billing in a real Chromium at 1440 and 390 px: a member chooses the project on the booking form,
and the PI reads the month's statement (page and PDF); a project chosen when finding and booking; a
correction asked for and decided; usage by project and PI. Each page fits its width."""

import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing import services
from billing.models import BookingProject
from reservations import services as bookings
from reservations.tasks import fire_boundary
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    kind = ResourceTypeFactory(site=site, name="GPU server")
    server = ResourceFactory(site=site, resource_type=kind, name="dgx-01")
    pi = UserFactory(username="pia", first_name="Pia", last_name="Investigator")
    member = UserFactory(username="member", first_name="Mia", last_name="Member")
    for user in (pi, member):
        Membership.objects.create(site=site, user=user, role=Role.MEMBER)
    first = services.project_create(actor=None, name="Protein folding", code="ERC-101", pi=pi, sites=[site],
                                    starts_on=date.today() - timedelta(days=60))  # fmt: skip
    second = services.project_create(actor=None, name="Imaging", code="DFG-7", pi=pi, sites=[site],
                                     starts_on=date.today() - timedelta(days=60))  # fmt: skip
    for project in (first, second):
        services.member_add(actor=pi, project=project, user=member)
    services.default_project_set(actor=member, project=first)
    services.rate_save(actor=None, resource_type=kind, price_group="internal", per_hour=Decimal("4.00"))
    return {"server": server, "first": first, "second": second, "member": member}


@pytest.fixture(params=[1440, 390], ids=["1440px", "390px"])
def page(request, browser):
    context = browser.new_context(viewport={"width": request.param, "height": 900}, timezone_id="Europe/Berlin")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.width = request.param
    yield page
    context.close()


def look(page, name):
    """A picture to look at when SHOTS names a folder (python3 dev.py test ... with SHOTS=/tmp/shots)."""
    if os.environ.get("SHOTS"):
        page.screenshot(path=str(Path(os.environ["SHOTS"]) / f"{name}-{page.width}.png"), full_page=True)


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.width, page.url


def test_choose_a_project_on_the_booking_form(page, live_server, scene):
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/reservations/new/?resource={scene['server'].pk}")
    charge_to = page.get_by_label("Charge to")
    expect(charge_to).to_have_value(str(scene["first"].pk))  # the default project, chosen already
    charge_to.select_option(label="DFG-7 · Imaging")
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    page.get_by_label("Start").fill(f"{day.isoformat()}T10:00")
    page.get_by_label("End").fill(f"{day.isoformat()}T12:00")
    fits(page)
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked: dgx-01")).to_be_visible()
    expect(page.locator("#booking-project")).to_contain_text("DFG-7")
    fits(page)
    assert BookingProject.objects.get().project == scene["second"]


def test_read_a_statement(page, live_server, scene):
    start = (timezone.now() - timedelta(hours=5)).replace(second=0, microsecond=0)
    booking = bookings.reservation_create(actor=None, owner=scene["member"], resource=scene["server"], start=start,
                                          end=start + timedelta(hours=2))  # fmt: skip
    fire_boundary.run(booking.pk, "ended")
    log_in(page, live_server, "pia")
    page.goto(f"{live_server.url}/projects/")
    page.locator("article[data-project='ERC-101']").get_by_role("link", name="ERC-101").click()
    month = timezone.now().astimezone(ZoneInfo("UTC")).strftime("%Y-%m")
    page.get_by_role("link", name=month).click()
    expect(page.locator("#statement-lines")).to_contain_text("dgx-01")
    expect(page.locator("#statement-totals")).to_contain_text("8.00")
    fits(page)
    with page.expect_response(lambda r: r.url.endswith(".pdf")) as answer:
        page.evaluate("url => fetch(url)", page.locator("#statement-pdf").get_attribute("href"))
    assert answer.value.headers["content-type"] == "application/pdf"


def test_choose_a_project_when_finding_and_booking(page, live_server, scene):
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/leases/new/")
    page.select_option("#id_resource_type", value=str(scene["server"].resource_type_id))
    page.fill("#id_count", "1")
    page.fill("#id_hours", "1")
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    page.fill("#id_window_start", f"{day:%Y-%m-%d}T09:00")
    page.fill("#id_window_end", f"{day:%Y-%m-%d}T12:00")
    page.get_by_label("Charge to").select_option(label="DFG-7 · Imaging")
    page.click("#find-button")
    fits(page)
    page.locator("button.book-window").first.click()
    expect(page.get_by_text("Booked 1 x GPU server")).to_be_visible()
    assert BookingProject.objects.get().project == scene["second"]


@pytest.fixture
def correction(scene):
    site = scene["server"].site
    admin = UserFactory(username="siteadmin", is_staff=True)
    Membership.objects.create(site=site, user=admin, role=Role.ADMIN)
    start = (timezone.now() - timedelta(hours=5)).replace(second=0, microsecond=0)
    booking = bookings.reservation_create(actor=None, owner=scene["member"], resource=scene["server"], start=start,
                                          end=start + timedelta(hours=2))  # fmt: skip
    fire_boundary.run(booking.pk, "ended")
    return scene


def test_a_member_asks_for_a_correction_and_a_site_admin_approves_it(page, live_server, correction, browser):
    log_in(page, live_server, "member")
    month = timezone.now().astimezone(ZoneInfo("UTC")).strftime("%Y-%m")
    page.goto(f"{live_server.url}/projects/{correction['first'].pk}/statements/{month}/")
    page.locator("#correction-form select[name=charge]").select_option(index=1)
    page.fill("#correction-form input[name=hours]", "-1")
    page.fill("#correction-form input[name=amount]", "-4")
    page.fill("#correction-form input[name=reason]", "the node rebooted for an hour")
    page.get_by_role("button", name="Ask for the correction").click()
    expect(page.get_by_text("Correction asked for")).to_be_visible()
    page.context.clear_cookies()
    log_in(page, live_server, "siteadmin")
    page.goto(f"{live_server.url}/projects/")
    page.click("#corrections-link")
    card = page.locator("article[data-adjustment]")
    expect(card).to_contain_text("the node rebooted for an hour")
    fits(page)
    look(page, "corrections")
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved the correction of dgx-01 for ERC-101")).to_be_visible()
    expect(page.locator("#no-corrections")).to_be_visible()
    page.goto(f"{live_server.url}/projects/{correction['first'].pk}/statements/{month}/")
    expect(page.locator("#statement-totals")).to_contain_text("4.00")  # 8.00 charged, -4.00 corrected


def test_a_pi_reads_usage_by_project_and_pi(page, live_server, correction):
    log_in(page, live_server, "pia")
    page.goto(f"{live_server.url}/projects/")
    page.click("#usage-link")
    expect(page.locator("#usage-by-project tr[data-project='ERC-101']")).to_contain_text("8.00")
    expect(page.locator("#usage-by-pi tr[data-pi='pia']")).to_contain_text("8.00")
    fits(page)
    look(page, "usage")
    with page.expect_download() as download:
        page.click("#usage-csv")
    assert "ERC-101" in Path(download.value.path()).read_text()
