"""What the browser tests share: logging in, finding every page, dragging on FullCalendar's week grid."""

from collections import deque

from django.test import Client

from tests.test_links import _links

PASSWORD = "correct-horse-battery"  # the factories' password


def log_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def open_week(page, url: str, day) -> None:
    page.goto(url)
    page.wait_for_selector(".fc-timegrid-slot-lane")
    page.evaluate(f"window.reservoirCalendar.gotoDate('{day.isoformat()}')")
    page.evaluate("window.reservoirCalendar.scrollToTime('08:00')")  # it opens at now; these drags plan from 08:00
    page.wait_for_selector(f".fc-timegrid-col[data-date='{day.isoformat()}']")


def point(page, day, hh_mm: str, edge: str = "top"):
    page.locator(f".fc-timegrid-slot-lane[data-time='{hh_mm}:00']").scroll_into_view_if_needed()
    column = page.locator(f".fc-timegrid-col[data-date='{day.isoformat()}']").bounding_box()
    slot = page.locator(f".fc-timegrid-slot-lane[data-time='{hh_mm}:00']").bounding_box()
    y = slot["y"] + 2 if edge == "top" else slot["y"] + slot["height"] - 2
    return column["x"] + column["width"] / 2, y


def drag(page, start, end):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0], (start[1] + end[1]) / 2, steps=5)
    page.mouse.move(*end, steps=5)
    page.mouse.up()


def reachable_pages(user, limit: int = 80) -> list[str]:
    """The HTML pages `user` reaches from the home page by following links (the link crawl's rules)."""
    client = Client()
    client.force_login(user)
    seen, queue, pages = {"/"}, deque(["/"]), []
    while queue and len(pages) < limit:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages.append(path)
        for link in sorted(_links(response.content.decode(), f"http://testserver{path}") - seen):
            seen.add(link)
            queue.append(link)
    return pages
