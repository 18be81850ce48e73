"""The finish a newcomer asked for (issue 36): one way of writing days, calendars that tell their
resources apart and put the grid first on a phone, a timeline whose bars never lie on each other,
and pages that say what they did or what is missing, in place."""

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from resources.models import Resource
from tests.browser.support import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
DEMO_MONDAY = "2026-11-23"  # the demo's week (tests/conftest.py)


@pytest.fixture
def open_as(browser, live_server, demo_users, demo_logins):
    contexts = []

    def open_as(username, viewport=DESK):
        context = browser.new_context(viewport=viewport, timezone_id="America/New_York")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server, username, demo_logins[username])
        page.wait_for_load_state("load")
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_the_calendar_writes_days_as_the_site_does_and_names_the_resource_first(open_as, live_server):
    """A browser in New York still reads Berlin's days in the site's one format: "Mon 11-23" under
    a "2026-11-23 to 2026-11-29" title, and each GPU in its own shade, its name first."""
    page = open_as("user")
    page.goto(f"{live_server.url}/calendar/berlin/")
    page.wait_for_selector(".fc-timegrid-slot-lane")
    page.evaluate(f"window.reservoirCalendar.gotoDate('{DEMO_MONDAY}')")
    expect(page.locator(".fc-toolbar-title")).to_have_text("2026-11-23 \u2013 2026-11-29")
    expect(page.locator(".fc-col-header-cell").first).to_have_text("Mon 11-23")
    gpu0 = page.locator(".fc-event", has_text="dgx-01-gpu0 \u00b7 Fine-tuning run")
    gpu1 = page.locator(".fc-event", has_text="dgx-01-gpu1 \u00b7 Weekly training")
    expect(gpu0).to_be_visible()
    colour = "(e) => getComputedStyle(e).backgroundColor"
    assert gpu0.evaluate(colour) != gpu1.first.evaluate(colour), "two GPUs of one type look the same"
    title = gpu0.locator(".fc-event-title")
    assert title.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1"), "the title is cut at the side"
    # No empty band between the day headers and the grid.
    header = page.locator(".fc-col-header").bounding_box()
    body = page.locator(".fc-timegrid-body").evaluate("(e) => e.closest('.fc-scroller').getBoundingClientRect().top")
    assert abs(body - (header["y"] + header["height"])) <= 2

    page.evaluate("window.reservoirCalendar.changeView('timeGridDay')")
    expect(page.locator(".fc-toolbar-title")).to_have_text("Mon 2026-11-23")
    page.evaluate("window.reservoirCalendar.changeView('listWeek')")
    expect(page.locator(".fc-list-day-text").first).to_have_text("Mon 2026-11-23")


def test_on_a_phone_the_grid_comes_first_and_opens_at_now(open_as, live_server):
    page = open_as("user", PHONE)
    gpu = Resource.objects.get(name="dgx-01-gpu0")
    page.goto(f"{live_server.url}/resources/{gpu.pk}/calendar/")
    page.wait_for_selector(".fc-timegrid-slot-lane")
    more = page.locator("#calendar-more")
    expect(more).not_to_have_attribute("open", "")
    grid_top = page.locator(".fc-timegrid-body").evaluate(
        "(e) => e.closest('.fc-scroller').getBoundingClientRect().top"
    )
    assert grid_top < PHONE["height"] * 0.5, f"the grid starts at {grid_top:.0f} px of 844"  # it was 590
    assert page.locator(".fc-timegrid-body").bounding_box()["height"] > 300
    more.locator("summary").click()
    expect(page.get_by_role("link", name="New booking (form)")).to_be_visible()  # folded, not gone

    hour = max(datetime.now(ZoneInfo("Europe/Berlin")).hour - 1, 0)
    scroller = page.locator(".fc-timegrid-body").evaluate_handle("(e) => e.closest('.fc-scroller')")
    top, most = scroller.evaluate("(s) => [s.scrollTop, s.scrollHeight - s.clientHeight]")
    slot = page.locator(f".fc-timegrid-slot-lane[data-time='{hour:02d}:00:00']").evaluate("(e) => e.offsetTop")
    assert abs(top - min(slot, most)) <= 30, (top, slot, most)


def test_a_wholes_blocked_bars_never_lie_on_each_other(open_as, live_server):
    """Two GPUs of dgx-01 booked at once: the server's row shows one bar that names both."""
    page = open_as("admin")
    page.goto(f"{live_server.url}/calendar/berlin/timeline/?date=2026-11-30&view=week")
    bars = page.locator("tr[data-resource='dgx-01'] .bar.blocked")
    expect(bars.first).to_be_visible()
    spans = sorted(bars.evaluate_all("(bs) => bs.map((b) => [b.offsetLeft, b.offsetLeft + b.offsetWidth])"))
    assert all(right <= next_left + 1 for (_, right), (next_left, _) in itertools.pairwise(spans)), spans
    expect(page.locator("tr[data-resource='dgx-01'] .bar.blocked", has_text="dgx-01-gpu0, dgx-01-gpu2")).to_have_count(
        1
    )
    expect(page.locator("thead .days span").first).to_have_text("Mon 2026-11-30")


ONE_LINE = """(cells) => cells.every((c) => {
  const tops = [...c.children].map((e) => [e.getClientRects().length, e.getBoundingClientRect().top]);
  return tops.every(([lines, top]) => lines === 1 && Math.abs(top - tops[0][1]) < 6);
})"""


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1440", "390"])
def test_the_catalogue_keeps_names_and_types_on_one_line(open_as, live_server, viewport):
    page = open_as("user", viewport)
    page.goto(f"{live_server.url}/")
    for field in ("Search", "Attributes"):
        box = page.get_by_label(field)
        shown = box.evaluate(
            "(e) => { const c = document.createElement('canvas').getContext('2d');"
            " c.font = getComputedStyle(e).font; return c.measureText(e.placeholder).width; }"
        )
        room = box.evaluate(
            "(e) => e.clientWidth - parseFloat(getComputedStyle(e).paddingLeft)"
            " - parseFloat(getComputedStyle(e).paddingRight)"
        )
        assert shown <= room, f"{field}'s example is cut: {shown:.0f} px in {room:.0f} px"
    if viewport is DESK:  # on a phone rows are cards, a line per field
        for cell in ("td.name", "td.kind"):
            assert page.locator(cell).evaluate_all(ONE_LINE), f"a {cell} wraps"


def test_free_ports_fill_the_form_and_a_missing_purpose_is_said_on_the_page(open_as, live_server):
    page = open_as("siteadmin")
    page.goto(f"{live_server.url}/registry/")
    page.get_by_role("button", name="Find", exact=True).click()
    port = page.locator("#free-ports button.free-port").first
    number = port.inner_text()
    port.click()
    form = page.locator("#allocation-form")
    expect(form.get_by_label("Value")).to_have_value(number)
    expect(form.locator("[name=resource_type]")).to_have_value("port")
    expect(page.locator("#availability")).to_contain_text(f"{number} is free")

    form.get_by_label("Service").fill("billing-api")
    form.get_by_role("button", name="Allocate").click()
    problem = form.locator(".field-problem")
    expect(problem).to_be_visible()  # in the page, beside the field, not a passing bubble
    expect(form.get_by_label("What it is for")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("What it is for").fill("billing API")
    expect(problem).to_have_count(0)


def test_a_date_input_reads_in_the_sites_format(open_as, live_server):
    page = open_as("user")
    gpu = Resource.objects.get(name="dgx-01-gpu0")
    page.goto(f"{live_server.url}/reservations/new/?resource={gpu.pk}&start=2026-12-07T09:00&end=2026-12-07T11:00")
    start = page.get_by_label("Start")
    expect(start.locator("xpath=following-sibling::small[1]")).to_have_text("Mon 2026-12-07 09:00")
    start.fill("2026-12-08T10:30")
    expect(start.locator("xpath=following-sibling::small[1]")).to_have_text("Tue 2026-12-08 10:30")
