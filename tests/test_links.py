"""Every link on the HTML pages leads somewhere that works, for each demo user: nobody is shown a
link to a page they may not open, and no page link ends in an error.

Crawls from the home page through same-site links (not the admin, the API, downloads or logout)."""

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="([^"#]+)"')
SKIP = ("/admin/", "/api/", "/static/", "/accounts/logout", "/oidc/", "/ical/", "/metrics", "/healthz", "/readyz")
DOWNLOADS = ("export", ".csv", ".ics")
WALKS = ("date=", "page=", "start=")  # previous/next links would walk through time forever


def _links(page: str, base: str) -> set[str]:
    found = set()
    for href in HREF.findall(page):
        href = href.replace("&amp;", "&")
        if href.startswith(("data:", "mailto:", "javascript:")):
            continue
        url = urljoin(base, href)
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "testserver":
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith(SKIP) or any(marker in path for marker in DOWNLOADS + WALKS):
            continue
        found.add(path)
    return found


@pytest.mark.parametrize(
    ("username", "must_reach", "must_not_reach"),
    [
        ("admin", {"/dashboard/", "/explorer/", "/reports/utilization/", "/webhooks/", "/registry/"}, set()),
        ("siteadmin", {"/dashboard/", "/explorer/", "/reports/utilization/", "/webhooks/"}, set()),
        ("user", {"/registry/", "/reservations/mine/"}, {"/dashboard/", "/explorer/", "/reports/utilization/"}),
    ],
)
def test_every_page_link_works(client, demo_users, username, must_reach, must_not_reach):
    client.force_login(demo_users[username])
    seen, queue, broken = {"/"}, deque(["/"]), []
    while queue and len(seen) < 300:
        path = queue.popleft()
        response = client.get(path, follow=True)
        if response.status_code != 200:
            broken.append((path, response.status_code))
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for link in _links(response.content.decode(), f"http://testserver{path}") - seen:
            seen.add(link)
            queue.append(link)
    assert broken == []
    assert must_reach <= seen and not must_not_reach & seen
    assert any(path.startswith("/reservations/") and path.rstrip("/").split("/")[-1].isdigit() for path in seen)
