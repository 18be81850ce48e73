"""A real person on the calendar: drag to book, a conflict refused, a booking moved, a weekly series."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.browser.support import drag, point
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    server = ResourceFactory(site=site, resource_type=ResourceTypeFactory(name="GPU server"), name="dgx-01")
    gpu_type = ResourceTypeFactory(name="GPU", color="#f28e2b")
    gpu = ResourceFactory(site=site, resource_type=gpu_type, name="dgx-01-gpu0", parent=server)
    user = UserFactory(username="member", password="correct-horse-battery", first_name="Mia")
    Membership.objects.create(site=site, user=user, role=Role.MEMBER)
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    return {"server": server, "gpu": gpu, "user": user, "day": day}


def when(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def calendar(browser, live_server, scene):
    context = browser.new_context(timezone_id="Europe/Berlin", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("member")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/resources/{scene['gpu'].pk}/calendar/")
    page.wait_for_selector(".fc-timegrid-slot-lane")
    page.evaluate(f"window.reservoirCalendar.gotoDate('{scene['day'].isoformat()}')")
    page.evaluate("window.reservoirCalendar.scrollToTime('08:00')")  # it opens at now; these drags plan from 08:00
    page.wait_for_selector(f".fc-timegrid-col[data-date='{scene['day'].isoformat()}']")
    yield page
    context.close()


def test_drag_across_free_time_books_it(calendar, scene):
    page, day = calendar, scene["day"]
    page.locator(".fc-timegrid-slot-lane[data-time='10:00:00']").scroll_into_view_if_needed()
    drag(page, point(page, day, "10:00"), point(page, day, "11:30", "bottom"))
    dialog = page.locator("#booking-dialog")
    expect(dialog).to_be_visible()
    form = page.frame_locator("#booking-frame")  # the one booking form, in the dialog
    expect(form.get_by_label("Start")).to_have_value(f"{day.isoformat()}T10:00")
    form.get_by_label("Title").fill("fine-tuning")
    form.get_by_role("button", name="Book").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".fc-event", has_text="fine-tuning")).to_be_visible()
    expect(page.locator("#calendar-message.ok")).to_contain_text("Booked: ")  # said, on the page
    booking = Reservation.objects.get()
    assert (booking.start, booking.end, booking.title) == (when(day, 10), when(day, 12), "fine-tuning")


def test_a_conflict_is_refused_with_the_servers_message(calendar, scene):
    """Someone books the whole server while the dialog is open: the server refuses, and says why."""
    page, day = calendar, scene["day"]
    page.locator(".fc-timegrid-slot-lane[data-time='10:00:00']").scroll_into_view_if_needed()
    drag(page, point(page, day, "10:30"), point(page, day, "11:30", "bottom"))
    form = page.frame_locator("#booking-frame")
    expect(form.get_by_label("Start")).to_have_value(f"{day.isoformat()}T10:30")  # the form is there
    Reservation.objects.create(
        resource=scene["server"], owner=scene["user"], start=when(day, 10), end=when(day, 11), title="whole box"
    )
    form.get_by_role("button", name="Book").click()
    expect(form.locator(".errorlist").first).to_contain_text("dgx-01 is already booked")
    assert Reservation.objects.count() == 1


def test_dragging_a_booking_moves_it_and_a_refused_move_snaps_back(calendar, scene):
    page, day = calendar, scene["day"]
    Reservation.objects.create(
        resource=scene["gpu"], owner=scene["user"], start=when(day, 14), end=when(day, 15), title="movable"
    )
    Reservation.objects.create(
        resource=scene["server"], owner=scene["user"], start=when(day, 18), end=when(day, 19), title="blocker"
    )
    page.evaluate("window.reservoirCalendar.refetchEvents()")
    event = page.locator(".fc-event", has_text="movable")
    expect(event).to_be_visible()
    event.scroll_into_view_if_needed()
    box = event.bounding_box()
    target = point(page, day, "16:00")
    drag(page, (box["x"] + box["width"] / 2, box["y"] + 5), (target[0], target[1] + 3))
    expect(page.locator("#calendar-message.ok")).to_contain_text("Moved: ")  # what was done, said
    expect(page.locator("#calendar-message")).to_contain_text("now 16:00\u201317:00")
    moved = Reservation.objects.get(title="movable")
    assert (moved.start, moved.end) == (when(day, 16), when(day, 17))

    event = page.locator(".fc-event", has_text="movable")
    target = point(page, day, "18:00")  # scrolls first: the event's box is read after it
    box = event.bounding_box()
    drag(page, (box["x"] + box["width"] / 2, box["y"] + 5), (target[0], target[1] + 3))
    expect(page.locator("#calendar-message")).to_contain_text("dgx-01 is already booked")
    moved.refresh_from_db()
    assert moved.start == when(day, 16)


def test_a_weekly_series_from_the_dialog(calendar, scene):
    page, day = calendar, scene["day"]
    page.locator(".fc-timegrid-slot-lane[data-time='09:00:00']").scroll_into_view_if_needed()
    drag(page, point(page, day, "09:00"), point(page, day, "09:30", "bottom"))
    dialog = page.locator("#booking-dialog")
    form = page.frame_locator("#booking-frame")
    expect(form.get_by_label("Start")).to_have_value(f"{day.isoformat()}T09:00")  # the form is there
    form.get_by_label("Title").fill("weekly sync")
    form.get_by_label("Repeat", exact=True).select_option("WEEKLY")
    form.get_by_label("Number of occurrences").fill("3")
    form.get_by_role("button", name="Book").click()
    expect(dialog).to_be_hidden()
    starts = list(Reservation.objects.order_by("start").values_list("start", flat=True))
    assert starts == [when(day, 9), when(day + timedelta(days=7), 9), when(day + timedelta(days=14), 9)]
