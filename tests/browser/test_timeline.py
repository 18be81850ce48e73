"""The timeline as a scheduling grid (issue 13): book by dragging across a resource's row in the day
view, move a bar to another resource, see a refused move snap back, move one with the keyboard."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reservations import services
from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    server = ResourceFactory(site=site, resource_type=ResourceTypeFactory(name="GPU server"), name="dgx-01")
    gpu_type = ResourceTypeFactory(name="GPU")
    gpu0 = ResourceFactory(site=site, resource_type=gpu_type, name="dgx-01-gpu0", parent=server)
    gpu1 = ResourceFactory(site=site, resource_type=gpu_type, name="dgx-01-gpu1", parent=server)
    member = UserFactory(username="member")
    admin = UserFactory(username="siteadmin")
    Membership.objects.create(site=site, user=member, role=Role.MEMBER)
    Membership.objects.create(site=site, user=admin, role=Role.ADMIN)
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    return {"server": server, "gpu0": gpu0, "gpu1": gpu1, "member": member, "admin": admin, "day": day}


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def x_of(page, row: str, hour: float):
    lane = page.locator("tr", has=page.locator(f"td.name >> text='{row}'")).locator(".lane").bounding_box()
    return lane["x"] + lane["width"] * hour / 24, lane["y"] + lane["height"] / 2


@pytest.fixture
def day_view(page, live_server, scene):
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/calendar/berlin/timeline/?date={scene['day'].isoformat()}&view=day")
    expect(page.locator(".days span").first).to_have_text("00")  # hours
    return page


def drag(page, start, end):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=5)
    page.mouse.move(*end, steps=5)
    page.mouse.up()


def test_drag_across_a_row_books_that_resource(day_view, scene):
    page, day = day_view, scene["day"]
    drag(page, x_of(page, "dgx-01-gpu1", 10.05), x_of(page, "dgx-01-gpu1", 11.95))
    form = page.frame_locator("#booking-frame")  # the same booking dialog as the calendars'
    expect(form.get_by_label("Resource")).to_have_value(str(scene["gpu1"].pk))
    expect(form.get_by_label("Start")).to_have_value(f"{day.isoformat()}T10:00")
    expect(form.get_by_label("End")).to_have_value(f"{day.isoformat()}T12:00")
    with page.expect_navigation():  # booked: the grid reloads with the new bar
        form.get_by_role("button", name="Book").click()
    expect(page.locator(".bar[data-booking]")).to_have_count(1)
    booking = Reservation.objects.get()
    assert (booking.resource, booking.start, booking.end) == (scene["gpu1"], at(day, 10), at(day, 12))


def test_a_bar_moves_to_another_row_and_a_refused_move_snaps_back(day_view, live_server, scene):
    page, day = day_view, scene["day"]
    mine = services.reservation_create(
        actor=scene["member"], resource=scene["gpu0"], start=at(day, 9), end=at(day, 10), title="train"
    )
    services.reservation_create(actor=scene["admin"], resource=scene["server"], start=at(day, 15), end=at(day, 17))
    page.reload()
    bar = page.locator(f".bar[data-booking='{mine.pk}']")
    box = bar.bounding_box()
    with page.expect_navigation():  # saved: the grid reloads
        drag(page, (box["x"] + 5, box["y"] + box["height"] / 2), x_of(page, "dgx-01-gpu1", 11.1))
    expect(page.locator(f"tr:has(td.name:has-text('dgx-01-gpu1')) .bar[data-booking='{mine.pk}']")).to_be_visible()
    mine.refresh_from_db()
    assert (mine.resource, mine.start, mine.end) == (scene["gpu1"], at(day, 11), at(day, 12))

    bar = page.locator(f".bar[data-booking='{mine.pk}']")
    box = bar.bounding_box()
    drag(page, (box["x"] + 5, box["y"] + box["height"] / 2), x_of(page, "dgx-01-gpu1", 15.1))
    expect(page.locator("#timeline-message")).to_contain_text("dgx-01 is already booked")
    expect(bar).not_to_have_class("bar dragging")  # snapped back
    mine.refresh_from_db()
    assert mine.start == at(day, 11)


def test_arrow_keys_move_a_focused_bar(day_view, scene):
    page, day = day_view, scene["day"]
    mine = services.reservation_create(
        actor=scene["member"], resource=scene["gpu0"], start=at(day, 9), end=at(day, 10), title="keys"
    )
    page.reload()
    page.locator(f".bar[data-booking='{mine.pk}']").focus()
    with page.expect_navigation():
        page.keyboard.press("ArrowRight")  # a quarter of an hour later in the day view
    expect(page.locator(f".bar[data-booking='{mine.pk}']")).to_be_visible()
    mine.refresh_from_db()
    assert (mine.start, mine.end) == (at(day, 9, 15), at(day, 10, 15))
