"""A machine fails under a lease: the operator marks it in maintenance from the admin; the member
sees, on a phone, the lease on another machine and which one was replaced. With none free, the lease
page says what waits for a machine."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reservations import services
from reservations.leases import services as leases
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


def at(day, hour):
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    kind = ResourceTypeFactory(site=site, name="GPU server")
    servers = [ResourceFactory(site=site, resource_type=kind, name=f"a100-{i}") for i in range(4)]
    member = UserFactory(username="member")
    other = UserFactory(username="other")
    admin = UserFactory(username="siteadmin", is_staff=True)
    for user, role in ((member, Role.MEMBER), (other, Role.MEMBER), (admin, Role.ADMIN)):
        Membership.objects.create(site=site, user=user, role=role)
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    lease = leases.lease_create(
        actor=member, site=site, resource_type=kind, count=2, start=at(day, 9), end=at(day, 17), title="Training"
    )
    return {"site": site, "servers": servers, "member": member, "other": other, "lease": lease, "day": day}


def mark_in_maintenance(page, live_server, name):
    log_in(page, live_server, "siteadmin")
    page.goto(f"{live_server.url}/admin/resources/resource/?q={name}")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("mark_maintenance")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("1 resource marked in maintenance")
    return page.locator(".messagelist").inner_text()


def test_the_failed_machine_is_replaced_and_the_member_sees_it_on_a_phone(browser, live_server, scene):
    held = sorted(b.resource.name for b in scene["lease"].bookings.all())
    operator = browser.new_context()
    page = operator.new_page()
    page.set_default_timeout(15_000)
    said = mark_in_maintenance(page, live_server, held[0])
    operator.close()
    assert "1 booking moved to another machine" in said and held[0] in said, said

    phone = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="Europe/Berlin")
    page = phone.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server, "member")
        page.goto(f"{live_server.url}/leases/{scene['lease'].pk}/")
        machines = page.get_by_role("table", name="Bookings of this lease")
        expect(machines).not_to_contain_text(held[0])
        expect(machines).to_contain_text(held[1])
        expect(machines.locator("tbody tr")).to_have_count(2)
        expect(page.locator("#replaced")).to_contain_text(held[0])  # the trace of what was replaced
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(f"{live_server.url}/notifications/")
        expect(page.locator("main")).to_contain_text(f"{held[0]} is in maintenance: your booking moved to")
    finally:
        phone.close()


def test_with_none_free_the_lease_page_says_what_waits(browser, live_server, scene):
    held = sorted(b.resource.name for b in scene["lease"].bookings.all())
    day = scene["day"]
    for server in scene["servers"]:
        if server.name not in held:
            services.reservation_create(actor=scene["other"], resource=server, start=at(day, 8), end=at(day, 18))
    operator = browser.new_context()
    page = operator.new_page()
    page.set_default_timeout(15_000)
    mark_in_maintenance(page, live_server, held[0])
    operator.close()

    desk = browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="Europe/Berlin")
    page = desk.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server, "member")
        page.goto(f"{live_server.url}/leases/{scene['lease'].pk}/")
        waiting = page.locator(".awaiting-replacement")
        expect(waiting).to_have_count(1)
        expect(waiting).to_contain_text("Awaiting a free GPU server")
        expect(page.get_by_role("table", name="Bookings of this lease")).to_contain_text("In maintenance")
    finally:
        desk.close()
