"""axe-core (Deque's accessibility engine, pinned in tests/browser/axe/package-lock.json and fetched
like the app's own browser libraries, but never served by the app) on every page each demo user
reaches: no serious or critical violation."""

import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.support import log_in, reachable_pages

sys.path.insert(0, str(Path(settings.BASE_DIR) / "deploy"))
import browser_packages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LOCK = Path(__file__).parent / "axe" / "package-lock.json"
TARGET = Path(settings.BASE_DIR) / ".cache" / "axe" / "node_modules"

FIND = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}"""


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not browser_packages.installed(LOCK, TARGET):
        browser_packages.install(LOCK, TARGET)
    return TARGET / "axe-core" / "axe.min.js"


def violations(page, axe_script: Path) -> list[str]:
    page.add_script_tag(path=str(axe_script))
    return page.evaluate(FIND)


@pytest.mark.parametrize("username", ["admin", "siteadmin", "user"])
def test_no_serious_or_critical_violation_on_any_page(
    browser, live_server, demo_users, demo_logins, username, axe_script
):
    pages = reachable_pages(demo_users[username])
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        timezone_id="Europe/Berlin",
        bypass_csp=True,  # axe is injected by the test; the pages themselves run under the policy
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, username, demo_logins[username])
    found = []
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        found += [f"{path}: {problem}" for problem in violations(page, axe_script)]
    context.close()
    assert not found, "\n".join(found)


def admin_pages(client) -> list[str]:
    """Every model's list, add and first change page in the operators' console that answers 200."""
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    pages = ["/admin/"]
    for model in admin.site._registry:
        meta = model._meta
        try:
            candidates = [reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}") for view in ("changelist", "add")]
        except NoReverseMatch:
            continue
        first = model.objects.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            candidates.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first]))
        pages += [url for url in candidates if client.get(url).status_code == 200]
    return pages


def test_no_serious_or_critical_violation_in_the_operators_console(
    browser, live_server, demo_users, demo_logins, axe_script
):
    from django.test import Client

    client = Client()
    client.force_login(demo_users["admin"])
    pages = admin_pages(client)
    assert len(pages) > 20
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # axe is injected
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "admin", demo_logins["admin"])
    found = []
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        page.wait_for_timeout(50)  # the console's labelling script runs just after load
        found += [f"{path}: {problem}" for problem in violations(page, axe_script)]
    context.close()
    assert not found, "\n".join(found)
