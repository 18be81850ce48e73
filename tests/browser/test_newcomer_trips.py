"""What a newcomer tripped on (issue 36), each as they met it in Chromium: a Log out that could not
be read, audit times an hour off, and Django's debug page in the demo."""

import itertools
from zoneinfo import ZoneInfo

import pytest

from reservations import services as reservations
from reservations.models import Reservation
from tests.browser.support import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}

# WCAG's contrast ratio of the element's text against its background, as axe-core's
# colour-contrast rule computes it for plain text (the menu's backgrounds are opaque).
CONTRAST = """(element) => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  let node = element, background = "rgba(0, 0, 0, 0)";
  while (node && /rgba\\(0, 0, 0, 0\\)|transparent/.test(background)) {
    background = getComputedStyle(node).backgroundColor;
    node = node.parentElement;
  }
  const [a, b] = [luminance(rgb(getComputedStyle(element).color)), luminance(rgb(background))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1440", "390"])
@pytest.mark.parametrize("username", ["admin", "siteadmin", "user"])
def test_log_out_is_readable_in_the_open_name_menu(browser, live_server, demo_users, demo_logins, username, viewport):
    context = browser.new_context(viewport=viewport, timezone_id="Europe/Berlin")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, username, demo_logins[username])
    page.wait_for_load_state("load")  # page.js has fitted the menus to the width
    if viewport is PHONE:
        page.locator("label.menu-button").click()  # the name menu shows open inside the phone menu
    else:
        page.locator(".nav-user details > summary").click()
    logout = page.get_by_role("button", name="Log out")
    logout.wait_for(state="visible")
    ratio = logout.evaluate(CONTRAST)
    assert ratio >= 4.5, f"Log out has a contrast of {ratio:.2f}:1"
    context.close()


def test_audit_times_are_the_bookings_times_in_one_named_zone(browser, live_server, demo_users, demo_logins):
    """Created from a form (site time), cancelled later (times read back in UTC): both entries say
    the booking's own 14:00-18:00 CET, as the booking page does."""
    booking = Reservation.objects.get(title="Driver upgrade")
    reservations.reservation_cancel(actor=demo_users["admin"], reservation=booking)
    page = browser.new_page(viewport=DESK, timezone_id="Europe/Berlin")
    page.set_default_timeout(15_000)
    log_in(page, live_server, "admin", demo_logins["admin"])
    page.goto(f"{live_server.url}/audit/?search=Driver+upgrade")
    rows = page.locator("tbody tr").filter(has_text="Driver upgrade")
    texts = rows.all_inner_texts()
    assert len(texts) >= 2, texts
    berlin = ZoneInfo(booking.resource.site.time_zone)
    wanted = f"{booking.start.astimezone(berlin):%H:%M}\u2013{booking.end.astimezone(berlin):%H:%M} CET"
    assert all(wanted in text for text in texts), (wanted, texts)
    page.close()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1440", "390"])
def test_the_demo_shows_the_products_own_404(browser, live_server, demo_users, demo_logins, settings, viewport):
    """Under `dev.py run` (DEBUG on), a member opening a colleague's booking gets the product's page,
    not Django's list of URL patterns."""
    settings.DEBUG = True
    colleague = Reservation.objects.exclude(owner=demo_users["user"]).exclude(owner__username="user").first()
    page = browser.new_page(viewport=viewport, timezone_id="Europe/Berlin")
    page.set_default_timeout(15_000)
    log_in(page, live_server, "user", demo_logins["user"])
    for path in (f"/reservations/{colleague.pk}/", "/no/such/page/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404
        assert page.get_by_role("heading", name="Not found").is_visible()
        assert "URLconf" not in page.content()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{path}: {width} px"
    page.close()


# Computed sizes are what is drawn: the chart is HTML now, not an SVG scaled to the width.
SMALLEST_TEXT = """(selector) => Math.min(...[...document.querySelectorAll(selector)]
  .filter((e) => e.textContent.trim() && e.getClientRects().length)
  .map((e) => parseFloat(getComputedStyle(e).fontSize)))"""


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1440", "390"])
def test_utilization_labels_are_readable_and_the_heatmap_whole(browser, live_server, demo_users, demo_logins, viewport):
    page = browser.new_page(viewport=viewport, timezone_id="Europe/Berlin")
    page.set_default_timeout(15_000)
    log_in(page, live_server, "admin", demo_logins["admin"])
    page.goto(f"{live_server.url}/reports/utilization/?start=2026-11-23&end=2026-11-29")
    for selector in ("div.bars .bar-name", "div.bars .bar-value", "#heatmap th", "#heatmap td"):
        smallest = page.evaluate(SMALLEST_TEXT, selector)
        assert smallest >= 11, f"{selector}: {smallest:.1f} px"
    # Every hour column can be reached (the box scrolls), and the page itself does not scroll sideways.
    box = page.locator(".heat-scroll")
    last = page.locator("#heatmap thead th").last
    box.evaluate("(element) => element.scrollTo(element.scrollWidth, 0)")
    right = last.bounding_box()
    assert right["x"] + right["width"] <= viewport["width"] + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.close()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1440", "390"])
def test_the_timelines_month_day_headers_do_not_overlap(browser, live_server, demo_users, demo_logins, viewport):
    page = browser.new_page(viewport=viewport, timezone_id="Europe/Berlin")
    page.set_default_timeout(15_000)
    log_in(page, live_server, "user", demo_logins["user"])
    page.goto(f"{live_server.url}/calendar/berlin/timeline/?view=month&date=2026-12-01")
    heads = page.locator(".timeline thead .days > span")
    assert heads.count() >= 28
    boxes = heads.evaluate_all(
        """(spans) => spans.map((s) => ({ clipped: s.scrollWidth > s.clientWidth + 1,
            left: s.getBoundingClientRect().left, right: s.getBoundingClientRect().right, text: s.innerText }))"""
    )
    clipped = [b["text"] for b in boxes if b["clipped"]]
    assert not clipped, f"day headers cut off: {clipped[:5]}"
    assert all(a["right"] <= b["left"] + 0.5 for a, b in itertools.pairwise(boxes))
    assert boxes[0]["text"].split() == ["Tue", "1"]
    page.close()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1440", "390"])
def test_the_header_marks_only_the_page_it_is(browser, live_server, demo_users, demo_logins, viewport):
    """The catalogue is the brand's page; the booking form and a colleague's booking or lease belong
    to no entry; your own booking is under My bookings."""
    own = Reservation.objects.filter(owner=demo_users["siteadmin"]).first()
    colleagues = Reservation.objects.exclude(owner=demo_users["siteadmin"]).first()
    page = browser.new_page(viewport=viewport, timezone_id="Europe/Berlin")
    page.set_default_timeout(15_000)
    log_in(page, live_server, "siteadmin", demo_logins["siteadmin"])
    marked = page.locator(".site-header [aria-current='page']")
    expected = {
        "/": ["Reservoir"],
        "/reservations/new/": [],
        f"/reservations/{colleagues.pk}/": [],
        f"/reservations/{own.pk}/": ["My bookings"],
        "/calendar/berlin/": ["Calendar"],
    }
    for path, labels in expected.items():
        page.goto(f"{live_server.url}{path}")
        assert [text.strip() for text in marked.all_inner_texts()] == labels, path
    page.close()


def test_a_new_webhooks_secret_is_copied_with_one_click(browser, live_server, demo_users, demo_logins, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the receiver is on this machine
    context = browser.new_context(viewport=DESK, timezone_id="Europe/Berlin")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "siteadmin", demo_logins["siteadmin"])
    page.goto(f"{live_server.url}/webhooks/")
    page.get_by_label("Name").fill("Provisioning")
    page.get_by_label("URL").fill("http://127.0.0.1:9/provision")
    page.get_by_role("button", name="Create webhook").click()
    secret = page.locator("#webhook-secret").inner_text().strip()
    assert len(secret) > 20
    page.get_by_role("button", name="Copy the secret").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    context.close()


def test_header_links_never_touch(browser, live_server, demo_users, demo_logins):
    page = browser.new_page(viewport=DESK, timezone_id="Europe/Berlin")
    log_in(page, live_server, "siteadmin", demo_logins["siteadmin"])
    boxes = [link.bounding_box() for link in page.locator(".site-header .nav-links > li > a").all()]
    gaps = [right["x"] - (left["x"] + left["width"]) for left, right in itertools.pairwise(boxes)]
    assert gaps
    assert min(gaps) >= 4
    page.close()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1440", "390"])
def test_several_choice_filters_are_dropdowns_of_checkboxes(browser, live_server, demo_users, demo_logins, viewport):
    """The registry's Type is no native multi-select box: a control as high as its neighbours that
    names what is ticked and filters by it."""
    page = browser.new_page(viewport=viewport, timezone_id="Europe/Berlin")
    page.set_default_timeout(15_000)
    log_in(page, live_server, "siteadmin", demo_logins["siteadmin"])
    page.goto(f"{live_server.url}/registry/")
    assert page.locator("main select[multiple]").count() == 0
    choices = page.locator("form.filters details[data-choices]").first
    search = page.locator("form.filters input[name=search]")
    assert abs(choices.locator("summary").bounding_box()["height"] - search.bounding_box()["height"]) < 6
    choices.locator("summary").click()
    choices.get_by_label("Port").check()
    assert choices.locator("[data-summary]").inner_text() == "Port"
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**resource_type=port**")
    assert page.locator("form.filters details[data-choices] [data-summary]").first.inner_text() == "Port"
    page.close()
