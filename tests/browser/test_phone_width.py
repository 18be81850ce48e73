"""Every page a demo user can reach works on a phone (390 px): no horizontal scrolling, and the menu
opens onto every link, logout included."""

import pytest

from tests.browser.support import log_in, reachable_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("username", ["admin", "siteadmin", "user"])
def test_every_page_fits_a_phone_and_logout_is_reachable(browser, live_server, demo_users, demo_logins, username):
    pages = reachable_pages(demo_users[username])
    assert len(pages) > 5
    context = browser.new_context(viewport=PHONE, timezone_id="Europe/Berlin")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, username, demo_logins[username])
    too_wide = []
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > viewport:
            too_wide.append(f"{path}: {width} px")
    assert not too_wide, "\n".join(too_wide)
    page.goto(f"{live_server.url}/")
    logout = page.get_by_role("button", name="Log out")
    assert not logout.is_visible()  # folded away on a phone ...
    page.locator("label.menu-button").click()
    logout.click()  # ... and one tap away
    page.wait_for_url(f"{live_server.url}/accounts/login/**")
    context.close()
