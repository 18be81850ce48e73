"""What each view is for can be seen, on a desk and on a phone: the phone calendar shows today's
booking with its hours, a timeline bar carries its title at the default zoom, names and hours on
the phone timeline stay whole, and the header says which page this is."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def today(transactional_db):
    """A member's two-hour booking today, 10:00 to 12:00 on the site's clock (written directly: the
    morning may already be over when the test runs)."""
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    kind = ResourceTypeFactory(name="GPU server", color="#f28e2b")
    server = ResourceFactory(site=site, resource_type=kind, name="dgx-01-long-resource-name")
    ResourceFactory(site=site, resource_type=kind, name="dgx-02")
    member = UserFactory(username="member")
    Membership.objects.create(site=site, user=member, role=Role.MEMBER)
    day = timezone.now().astimezone(BERLIN).date()
    booking = Reservation.objects.create(
        resource=server,
        owner=member,
        created_by=member,
        start=datetime.combine(day, time(10), tzinfo=BERLIN),
        end=datetime.combine(day, time(12), tzinfo=BERLIN),
        title="Fine-tuning run",
    )
    return {"booking": booking, "day": day}


def _open(browser, live_server, viewport, path):
    context = browser.new_context(viewport=viewport, timezone_id="Europe/Berlin")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}{path}")
    return context, page


def test_the_phone_calendar_shows_todays_booking_with_its_hours(browser, live_server, today):
    context, page = _open(browser, live_server, PHONE, "/calendar/berlin/")
    try:
        ten = page.locator(".fc-timegrid-slot-label[data-time='10:00:00']")
        ten.scroll_into_view_if_needed()
        expect(ten).to_be_visible()
        expect(ten).to_contain_text("10:00")
        event = page.locator(".fc-timegrid-event", has_text="Fine-tuning run")
        expect(event).to_be_visible()
        box = event.bounding_box()
        assert box["height"] > 60 and box["width"] > 200, box  # two hours tall, most of the width
        page.get_by_role("button", name="list").click()
        expect(page.locator(".fc-list-event", has_text="Fine-tuning run")).to_contain_text("10:00")
    finally:
        context.close()


def _label_is_whole(page, booking) -> bool:
    return page.evaluate(
        """(id) => {
            const label = document.querySelector(`.bar[data-booking="${id}"] .label`);
            const box = label.getBoundingClientRect();
            return label.scrollWidth <= label.clientWidth + 1 && box.width > 0
                && box.right <= window.innerWidth && label.textContent.trim() === "Fine-tuning run";
        }""",
        booking.pk,
    )


def test_a_two_hour_bar_shows_its_title_in_the_default_desk_view(browser, live_server, today):
    context, page = _open(browser, live_server, DESK, "/calendar/berlin/timeline/")
    try:
        bar = page.locator(f".bar[data-booking='{today['booking'].pk}']")
        expect(bar).to_be_visible()
        assert _label_is_whole(page, today["booking"])
        bar.hover()
        card = page.locator("#bar-card")
        expect(card).to_be_visible()
        expect(card).to_contain_text("Fine-tuning run")
        expect(card).to_contain_text("10:00")
        expect(page.locator(".days span.today")).to_have_count(1)
        expect(page.locator(".lane .now").first).to_be_attached()
    finally:
        context.close()


def test_the_phone_timeline_keeps_names_and_hours_whole(browser, live_server, today):
    context, page = _open(browser, live_server, PHONE, "/calendar/berlin/timeline/?view=day")
    try:
        # Resource names wrap at most once (they used to break one letter per line).
        name = page.locator("td.name", has_text="dgx-01-long-resource-name")
        line = float(page.evaluate("parseFloat(getComputedStyle(document.querySelector('td.name')).lineHeight)"))
        assert name.bounding_box()["height"] <= 2 * line + 20
        # Each hour label fits its own column (they used to run together: "000102...").
        crowded = page.evaluate(
            "[...document.querySelectorAll('.timeline .days span')].filter(s => s.scrollWidth > s.clientWidth).length"
        )
        assert crowded == 0
        # The grid scrolls inside itself; the page does not.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.locator(".timeline-scroll").evaluate("(el) => el.scrollLeft = el.scrollWidth * 10 / 24")
        bar = page.locator(f".bar[data-booking='{today['booking'].pk}']")
        expect(bar).to_be_in_viewport()
        assert _label_is_whole(page, today["booking"])
        expect(page.locator("td.name", has_text="dgx-01-long-resource-name")).to_be_in_viewport()  # sticky
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_the_header_marks_the_current_page(browser, live_server, today, viewport):
    context, page = _open(browser, live_server, viewport, "/reservations/mine/")
    try:
        if viewport is PHONE:
            page.locator("label.menu-button").click()
        current = page.locator(".site-header [aria-current='page']")
        expect(current).to_have_count(1)
        expect(current).to_have_text("My bookings")
        page.goto(f"{live_server.url}/calendar/berlin/timeline/")
        if viewport is PHONE:
            page.locator("label.menu-button").click()
        expect(page.locator(".site-header [aria-current='page']")).to_have_text("Calendar")
        page.goto(f"{live_server.url}/reservations/{today['booking'].pk}/")
        if viewport is PHONE:
            page.locator("label.menu-button").click()
        expect(page.locator(".site-header [aria-current='page']")).to_have_text("My bookings")
    finally:
        context.close()


def test_a_week_ago_has_no_today_marked(browser, live_server, today):
    week_ago = (today["day"] - timedelta(days=8)).isoformat()
    context, page = _open(browser, live_server, DESK, f"/calendar/berlin/timeline/?date={week_ago}")
    try:
        expect(page.locator(".days span.today")).to_have_count(0)
        expect(page.locator(".lane .now")).to_have_count(0)
    finally:
        context.close()


@pytest.mark.parametrize(("scheme", "dark"), [("light", False), ("dark", True)])
def test_light_and_dark_follow_the_system_setting(browser, live_server, today, scheme, dark):
    context = browser.new_context(viewport=DESK, color_scheme=scheme)
    page = context.new_page()
    try:
        log_in(page, live_server, "member")
        page.goto(f"{live_server.url}/reservations/mine/")
        red, green, blue = page.evaluate(
            "getComputedStyle(document.documentElement).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)"
        )
        assert (red + green + blue < 150) is dark, (red, green, blue)
    finally:
        context.close()
