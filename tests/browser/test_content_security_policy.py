"""Every page a user reaches, the operators' console and the API docs run under the
Content-Security-Policy without a single violation: no inline script or handler was left behind."""

import pytest
from django.test import Client

from .support import log_in, reachable_pages
from .test_accessibility import admin_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visit(page, base: str, paths: list[str]) -> list[str]:
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    for path in paths:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("load")
        page.wait_for_timeout(50)
    return [problem for problem in problems if "Content Security Policy" in problem or "Refused" in problem]


@pytest.mark.parametrize("username", ["admin", "user"])
def test_no_page_violates_the_policy(browser, live_server, demo_users, demo_logins, username):
    paths = [*reachable_pages(demo_users[username]), "/api/docs/", "/api/reservations/"]
    if username == "admin":
        client = Client()
        client.force_login(demo_users["admin"])
        paths += admin_pages(client)[:40]
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, username, demo_logins[username])
    violations = visit(page, live_server.url, paths)
    context.close()
    assert violations == []
