"""Booked means used, in a real browser at 1440 and 390 px: the machine's agent reports through the
API with its machine token; the holder sees who holds the machine and its live use on the resource's
page and their booking's use on its page; the timeline colours it by use; the site administrator
sees an agent that stopped reporting on the dashboard."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from machines import services as machines
from machines.models import MachineToken
from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESK, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture
def scene(transactional_db, live_server):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    server = ResourceFactory(site=site, resource_type=ResourceTypeFactory(name="GPU server"), name="dgx-01")
    member, admin = UserFactory(username="member"), UserFactory(username="siteadmin", is_staff=True)
    Membership.objects.create(site=site, user=member, role=Role.MEMBER)
    Membership.objects.create(site=site, user=admin, role=Role.ADMIN)
    now = timezone.now()
    booking = Reservation.objects.create(
        resource=server,
        owner=member,
        title="training run",
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=1),
    )
    _, secret = machines.machine_token_create(actor=admin, resource=server, name="dgx-01.lab")
    return {"site": site, "server": server, "member": member, "admin": admin, "booking": booking, "secret": secret}


def report(page, live_server, secret, **fields):
    """The agent's POST, as it sends it (its own token, no session)."""
    body = {"taken_at": timezone.now().isoformat(), "load": 2.5, "logged_in": ["member"],
            "gpus": [{"index": 0, "name": "NVIDIA RTX A5000", "utilization": 91, "memory_used": 22437,
                      "memory_total": 24564}], **fields}  # fmt: skip
    answer = page.request.post(
        f"{live_server.url}/api/agent/usage/", data=body, headers={"Authorization": f"Machine {secret}"}
    )
    assert answer.status == 201, answer.text()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1440", "390"])
def test_the_holder_sees_the_machine_used_and_the_admin_sees_a_silent_agent(
    page, live_server, scene, viewport, tmp_path
):
    page.set_viewport_size(viewport)
    report(page, live_server, scene["secret"])
    log_in(page, live_server, "member")

    page.goto(f"{live_server.url}/resources/{scene['server'].pk}/calendar/")
    now = page.locator("#machine-now")
    expect(now).to_be_visible()
    expect(now).to_contain_text("held by")
    expect(page.locator("#live-use")).to_contain_text("1 session · load 2.50 · GPU 0 91 %")
    page.screenshot(path=str(tmp_path / f"resource-now-{viewport['width']}.png"), full_page=True)

    now.get_by_role("link", name="held by").click()
    usage = page.locator("#booking-usage")
    expect(usage.get_by_role("heading", name="Use")).to_be_visible()
    expect(page.locator("#first-login")).not_to_contain_text("nobody")
    expect(page.locator("#used-share")).to_contain_text("h in use of")
    expect(page.locator("#gpu-hours")).to_contain_text("used of 2.00 booked (1 GPU)")
    page.screenshot(path=str(tmp_path / f"booking-use-{viewport['width']}.png"), full_page=True)

    page.goto(f"{live_server.url}/calendar/berlin/timeline/?view=day")
    page.get_by_role("link", name="colour by use").click()
    expect(page.locator("#use-legend")).to_be_visible()
    expect(page.locator(".bar.use-active")).to_have_count(1)
    page.screenshot(path=str(tmp_path / f"timeline-use-{viewport['width']}.png"), full_page=True)

    MachineToken.objects.update(last_seen_at=timezone.now() - timedelta(minutes=10))
    page.context.clear_cookies()
    log_in(page, live_server, "siteadmin")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#stale-agents")).to_contain_text("dgx-01 (dgx-01.lab): last seen")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the dashboard scrolls sideways at {viewport['width']} px"
    page.screenshot(path=str(tmp_path / f"dashboard-agents-{viewport['width']}.png"), full_page=True)
