"""Training in a real Chromium at 1440 and 390 px: a member finds an instrument that needs training,
asks for it, a trainer grants it in the queue, and the member books it. Each page fits its width."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory
from training import services
from training.models import Qualification, Requirement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    kind = ResourceTypeFactory(site=site, name="Cryo-EM")
    krios = ResourceFactory(site=site, resource_type=kind, name="Krios-1")
    Requirement.objects.create(resource_type=kind, description="Safety induction and a supervised session.")
    member = UserFactory(username="member", first_name="Mia", last_name="Member")
    trainer = UserFactory(username="trainer", first_name="Tom", last_name="Trainer")
    for user in (member, trainer):
        Membership.objects.create(site=site, user=user, role=Role.MEMBER)
    services.trainer_add(actor=None, user=trainer, resource_type=kind)
    return {"krios": krios, "member": member}


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


def test_request_training_grant_it_and_book(page, live_server, scene):
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/")
    row = page.locator("tr[data-resource='Krios-1']")
    expect(row).to_contain_text("Training required")
    fits(page)
    row.get_by_role("link", name="Request training").click()
    card = page.locator("article[data-requirement='Cryo-EM']")
    expect(card).to_contain_text("Training required")
    card.get_by_label("What for").fill("Cryo-EM of my membrane protein, any Tuesday")
    card.get_by_role("button", name="Request training").click()
    expect(page.get_by_text("Asked for training on Cryo-EM")).to_be_visible()
    expect(card).to_contain_text("waiting for a trainer")
    fits(page)
    page.context.clear_cookies()  # the trainer, on the same machine

    log_in(page, live_server, "trainer")
    page.goto(f"{live_server.url}/training/")
    page.locator("#queue-link").get_by_role("link", name="Training queue").click()
    request = page.locator("article[data-request]", has_text="Mia Member")
    expect(request).to_contain_text("any Tuesday")
    fits(page)
    request.get_by_role("button", name="Grant").click()
    expect(page.get_by_text("Mia Member may book Cryo-EM")).to_be_visible()
    expect(page.locator("#no-requests")).to_be_visible()
    assert Qualification.objects.filter(user=scene["member"]).exists()
    page.context.clear_cookies()

    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/")
    page.locator("tr[data-resource='Krios-1']").get_by_role("link", name="Book").click()
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    page.get_by_label("Start").fill(f"{day.isoformat()}T10:00")
    page.get_by_label("End").fill(f"{day.isoformat()}T12:00")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked: Krios-1")).to_be_visible()
    fits(page)
    assert Reservation.objects.filter(resource=scene["krios"], owner=scene["member"]).count() == 1
