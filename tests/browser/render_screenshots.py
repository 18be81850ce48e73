"""Every page, as each demo role sees it, at 1440 and 390 px: `python3 dev.py screenshots`.

Not a test (the file name keeps it out of the suite): it loads the demo data at today's date, walks
the links each role can follow, and writes one picture per kind of page into docs/screenshots/,
with a contact sheet (docs/screenshots/README.md) to look at them side by side."""

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.browser.support import log_in, reachable_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ROLES = {"admin": "Global administrator", "siteadmin": "Site administrator", "user": "Member"}
WIDTHS = {"desk": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
# Pages of one kind (one booking, one lease, one user) look alike: one picture for each kind.
NUMBERED = re.compile(r"/\d+(?=/|$)")


def _kinds(paths: list[str]) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for path in paths:
        pattern = NUMBERED.sub("/n", path.split("?")[0])
        if "?" in path and pattern in kinds:
            continue
        slug = re.sub(r"[^a-z0-9]+", "-", pattern.lower()).strip("-") or "home"
        kinds.setdefault(pattern, slug if "?" not in path else slug + "-q")
    return {
        slug: next(p for p in paths if NUMBERED.sub("/n", p.split("?")[0]) == pattern)
        for pattern, slug in kinds.items()
    }


@pytest.fixture
def demo_today(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo_machines", stdout=io.StringIO())
    call_command("seed_demo_training", stdout=io.StringIO())
    call_command("seed_demo_billing", stdout=io.StringIO())
    import json

    logins = json.loads((tmp_path / "demo-logins.json").read_text())
    return {user.username: user for user in get_user_model().objects.all()}, logins


def test_render_every_page(browser, live_server, demo_today):
    users, logins = demo_today
    sheet = ["# Screenshots", "", "`python3 dev.py screenshots` renders them again (demo data, today's date).", ""]
    for username, role in ROLES.items():
        pages = _kinds(reachable_pages(users[username]))
        sheet += [f"## {role} (`{username}`)", "", "| Page | 1440 px | 390 px |", "|---|---|---|"]
        shots = {}
        for width, viewport in WIDTHS.items():
            folder = OUT / username / width
            folder.mkdir(parents=True, exist_ok=True)
            context = browser.new_context(viewport=viewport, timezone_id="Europe/Berlin", color_scheme="light")
            page = context.new_page()
            page.set_default_timeout(15_000)
            log_in(page, live_server, username, logins[username])
            for slug, path in pages.items():
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("networkidle")
                target = folder / f"{slug}.jpg"
                page.screenshot(path=str(target), full_page=True, type="jpeg", quality=70)
                shots.setdefault(slug, {})[width] = target.relative_to(OUT)
            context.close()
        for slug, path in pages.items():
            desk, phone = shots[slug]["desk"], shots[slug]["phone"]
            sheet.append(f"| `{path}` | <img src='{desk}' width='360'> | <img src='{phone}' width='120'> |")
        sheet.append("")
    (OUT / "README.md").write_text("\n".join(sheet))
