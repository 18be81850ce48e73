"""Billing in a real Chromium at 1440 and 390 px: a member chooses the project on the booking form,
and the PI reads the month's statement (page and PDF). Each page fits its width."""

from datetime import date, timedelta
from decimal import Decimal
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
