"""The operators' report and explorer pages in a real browser, on the demo data of a known week."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.locator(".site-header summary", has_text="Operations").click()  # the operators' menu
    expect(page.get_by_role("link", name="Utilization")).to_be_visible()


def test_utilization_page_draws_the_demo_week(page, live_server, demo_logins, tmp_path):
    log_in(page, live_server, "admin", demo_logins["admin"])
    page.get_by_role("link", name="Utilization").click()
    page.get_by_label("First day").fill("2026-11-23")
    page.get_by_label("Last day").fill("2026-11-29")
    page.get_by_role("button", name="Show").click()

    expect(page.locator("#total-utilization")).to_have_text("0.5%")
    expect(page.locator("#total-booked")).to_have_text("8.0")
    expect(page.get_by_role("img", name="Utilization by site")).to_contain_text("Berlin Lab")
    chart = page.get_by_role("img", name="Utilization by site")
    bar, track = chart.locator(".bar-fill").first, chart.locator(".bar-track").first
    share = bar.bounding_box()["width"] / track.bounding_box()["width"]
    assert share == pytest.approx(0.0079, abs=0.003)  # Berlin: 8 / 1008 h
    expect(page.locator("#heatmap td[data-day='1'][data-hour='9']")).to_have_text("1")
    tuesday_five = page.locator("#heatmap td[data-day='2'][data-hour='17']")
    expect(tuesday_five).to_have_attribute("title", "Tue 17:00 · 1.0 h booked of 10.0 h · 10.0%")
    expect(page.locator("#top-users")).to_contain_text("Sam Siteadmin")
    expect(page.locator("#idle tr")).to_have_count(8)  # header + 7 idle resources
    page.screenshot(path=str(tmp_path / "utilization.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="sites", exact=True).click()
    assert "Berlin Lab" in download.value.path().read_text()


def test_explorer_shows_the_tree_with_bookings(page, live_server, demo_logins, tmp_path):
    log_in(page, live_server, "siteadmin", demo_logins["siteadmin"])
    page.get_by_role("link", name="Explorer").click()
    expect(page.get_by_role("heading", name="Berlin Lab")).to_be_visible()
    expect(page.get_by_role("heading", name="Boston DC")).to_have_count(0)
    row = page.locator("tr[data-resource='dgx-01-gpu1']")
    expect(row.locator(".branch")).to_be_visible()
    expect(row.locator(".next")).to_contain_text("Uma User")
    page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
    row.get_by_role("link", name="Webhooks (0)").click()
    expect(page.locator("#resource-filter")).to_contain_text("dgx-01-gpu1")
