"""Destructive actions ask first (a page that says what goes, a red button, a way back), and a
member who waits for a taken machine is booked with the details they chose when it frees."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as accounts
from accounts.models import ApiToken
from registry import services as registry
from registry.models import Allocation
from reservations import services
from reservations.models import Reservation, ReservationStatus
from reservations.policies.models import WaitlistEntry
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")
OS_IMAGE = {"key": "os_image", "label": "OS image", "type": "choice", "choices": ["ubuntu-24.04", "rocky-9"]}


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    kind = ResourceTypeFactory(name="GPU server", parameter_schema=[{**OS_IMAGE, "required": True}])
    server = ResourceFactory(site=site, resource_type=kind, name="dgx-01")
    member = UserFactory(username="member")
    holder = UserFactory(username="holder")
    admin = UserFactory(username="siteadmin", is_staff=True)
    for user, role in ((member, Role.MEMBER), (holder, Role.MEMBER), (admin, Role.ADMIN)):
        Membership.objects.create(site=site, user=user, role=role)
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    return {"site": site, "server": server, "member": member, "holder": holder, "admin": admin, "day": day}


def at(day, hour):
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


def test_the_waitlist_books_with_the_parameters_chosen(page, live_server, scene):
    day = scene["day"]
    taken = services.reservation_create(
        actor=scene["holder"],
        resource=scene["server"],
        start=at(day, 9),
        end=at(day, 12),
        parameters={"os_image": "ubuntu-24.04"},
    )
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/reservations/new/?resource={scene['server'].pk}")
    page.get_by_label("Start").fill(f"{day.isoformat()}T10:00")
    page.get_by_label("End").fill(f"{day.isoformat()}T11:00")
    page.get_by_label("Title").fill("Benchmarks")
    page.get_by_label("OS image").select_option("rocky-9")
    page.get_by_role("button", name="Book").click()
    offer = page.locator("#waitlist-offer")
    expect(offer).to_be_visible()
    expect(offer.get_by_label("Book it for me when it frees")).to_be_checked()  # beside its button
    offer.get_by_role("button", name="Join the waitlist").click()
    expect(page.locator(".message").first).to_contain_text("You wait for dgx-01")

    services.reservation_cancel(actor=scene["holder"], reservation=taken)
    entry = WaitlistEntry.objects.get(user=scene["member"])
    booked = Reservation.objects.get(pk=entry.booking_id)
    assert (booked.title, booked.parameters, booked.status) == (
        "Benchmarks",
        {"os_image": "rocky-9"},
        ReservationStatus.CONFIRMED,
    )


def test_releasing_an_allocation_asks_first(page, live_server, scene):
    allocation = registry.allocate(
        actor=scene["admin"],
        resource_type="port",
        resource_name="jupyter",
        resource_value="8888",
        owner_service="notebooks",
        environment="prod",
        site=scene["site"],
    )
    log_in(page, live_server, "siteadmin")
    page.goto(f"{live_server.url}/registry/")
    page.get_by_role("button", name="Release…").click()
    expect(page.locator("#confirm h1")).to_have_text("Release 8888?")
    page.get_by_role("button", name="Keep it").click()  # backing out changes nothing
    expect(page).to_have_url(f"{live_server.url}/registry/")
    assert Allocation.objects.get(pk=allocation.pk).status != "released"
    page.get_by_role("button", name="Release…").click()
    confirm = page.locator("#confirm-button")
    assert "rgb(179, 38, 30)" in confirm.evaluate("(b) => getComputedStyle(b).backgroundColor")  # red
    confirm.click()
    expect(page.locator(".message").first).to_contain_text("Released")
    assert Allocation.objects.get(pk=allocation.pk).status == "released"


def test_cancelling_a_booking_asks_first(page, live_server, scene):
    day = scene["day"]
    booking = services.reservation_create(
        actor=scene["member"],
        resource=scene["server"],
        start=at(day, 9),
        end=at(day, 10),
        parameters={"os_image": "rocky-9"},
    )
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/reservations/{booking.pk}/")
    page.locator("#cancel-link").click()
    expect(page.locator("h1")).to_have_text("Cancel this booking?")
    booking.refresh_from_db()
    assert booking.status == ReservationStatus.CONFIRMED
    page.locator("#confirm-cancel").click()
    expect(page.locator("#cancelled")).to_be_visible()


def test_revoking_a_token_asks_in_a_dialog_first(page, live_server, scene):
    token, _ = accounts.api_token_create(actor=scene["member"], user=scene["member"], name="ci-script")
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/profile/")
    row = page.locator("tr[data-token='ci-script']")
    row.get_by_role("button", name="Revoke").click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Revoke this API token?")
    dialog.get_by_role("button", name="Keep it").click()  # backing out changes nothing
    expect(dialog).to_have_count(0)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    row.get_by_role("button", name="Revoke").click()
    page.locator("dialog.confirm-dialog").get_by_role("button", name="Revoke").click()
    expect(page.locator("tr[data-token='ci-script'] button")).to_have_count(0)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
