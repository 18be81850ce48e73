"""Find and book at phone width: a member asks for two A100 machines with 80 GB for two hours,
sees the proposed machines and time, books them, moves the lease and cancels it."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reservations import services
from reservations.leases.models import Lease
from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_find_and_book_two_machines_then_move_and_cancel_them(browser, live_server, tmp_path):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    kind = ResourceTypeFactory(site=site, name="GPU server")
    for i, memory in enumerate((80, 80, 80, 40)):
        ResourceFactory(
            site=site, resource_type=kind, name=f"a100-{i}", attributes={"gpu_model": "A100", "gpu_memory_gb": memory}
        )
    member = UserFactory(username="member", first_name="Mia")
    Membership.objects.create(site=site, user=member, role=Role.MEMBER)
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    busy = ResourceFactory._meta.model.objects.get(name="a100-0")
    services.reservation_create(actor=member, resource=busy, start=at(day, 9), end=at(day, 10))

    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="Europe/Berlin")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server, "member")
        page.goto(f"{live_server.url}/leases/new/")
        fits(page)
        page.select_option("#id_site", value=str(site.pk))
        page.select_option("#id_resource_type", value=str(kind.pk))
        page.fill("#id_where", "gpu_model = A100, gpu_memory_gb >= 80")
        page.fill("#id_count", "3")
        page.fill("#id_hours", "2")
        page.fill("#id_window_start", f"{day:%Y-%m-%d}T09:00")
        page.fill("#id_window_end", f"{day:%Y-%m-%d}T18:00")
        page.fill("#id_title", "training run")
        page.click("#find-button")
        expect(page.locator("#matching")).to_contain_text("3 matching machines")
        first = page.locator(".windows li").first
        expect(first).to_contain_text("10:00")  # a100-0 is busy until 10
        expect(first).to_contain_text("a100-1")
        fits(page)
        page.screenshot(path=tmp_path / "lease_find.png", full_page=True)
        first.locator("button.book-window").click()
        expect(page.locator("#lease-status")).to_have_text("Confirmed")
        lease = Lease.objects.get()
        assert Reservation.objects.filter(lease=lease).count() == 3
        fits(page)
        page.fill("#id_end", f"{day:%Y-%m-%d}T13:00")
        page.click("#move-button")
        expect(page.locator("#lease-when")).to_contain_text("13:00")
        assert set(Reservation.objects.filter(lease=lease).values_list("end", flat=True)) == {at(day, 13)}
        page.screenshot(path=tmp_path / "lease_detail.png", full_page=True)
        page.click("#lease-timeline")
        expect(page.locator(".bar.in-lease")).to_have_count(3)  # the lease's rows light up together
        page.screenshot(path=tmp_path / "lease_timeline.png", full_page=True)
        page.go_back()
        page.click("#cancel-lease")
        expect(page.locator("#confirm h1")).to_have_text("Cancel this lease?")  # it asks first
        assert set(Reservation.objects.filter(lease=lease).values_list("status", flat=True)) == {"confirmed"}
        page.click("#confirm-button")
        expect(page.locator("#lease-status")).to_have_text("Cancelled")
        assert set(Reservation.objects.filter(lease=lease).values_list("status", flat=True)) == {"cancelled"}
    finally:
        context.close()
