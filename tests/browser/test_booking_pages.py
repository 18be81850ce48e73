"""What people see is true (issue 12), in a real Chromium: edits that save, one clock for a booking
everywhere, blocked time shown where people decide, repeating bookings moved on purpose, a
confirmed cancellation with a reason. The browser runs in Tokyo, the viewer lives in New York, the
site is in Berlin: every page must still agree."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts.services import profile_update
from notifications.models import Notification
from notifications.tasks import send_notification_email
from reservations import services
from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.browser.support import drag, log_in, open_week, point
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    server = ResourceFactory(site=site, resource_type=ResourceTypeFactory(name="GPU server"), name="dgx-01")
    gpu = ResourceFactory(site=site, resource_type=ResourceTypeFactory(name="GPU"), name="dgx-01-gpu0", parent=server)
    member = UserFactory(username="member", first_name="Mia", email="mia@example.org")
    admin = UserFactory(username="siteadmin", first_name="Sam", is_staff=True)
    Membership.objects.create(site=site, user=member, role=Role.MEMBER)
    Membership.objects.create(site=site, user=admin, role=Role.ADMIN)
    profile_update(actor=member, user=member, time_zone="America/New_York")
    profile_update(actor=admin, user=admin, time_zone="Europe/Berlin")
    # A Wednesday well ahead, in winter time (Berlin UTC+1, New York UTC-5).
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    return {"site": site, "server": server, "gpu": gpu, "member": member, "admin": admin, "day": day}


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def labelled(day, first: int, last: int) -> str:
    """The one way a booking's times read: the site's clock named, then the New Yorker's own."""
    start, end = at(day, first), at(day, last)
    site = f"{start:%a %Y-%m-%d} {start:%H:%M}\u2013{end:%H:%M} {start:%Z}"
    ny = ZoneInfo("America/New_York")
    mine = f"{start.astimezone(ny):%a %Y-%m-%d %H:%M}\u2013{end.astimezone(ny):%H:%M %Z}"
    return f"{site} ({mine} your time)"


@pytest.fixture
def tokyo(browser):
    """A browser whose own clock is in Tokyo: nothing may depend on it."""
    context = browser.new_context(timezone_id="Asia/Tokyo", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_one_booking_reads_the_same_on_every_page_feed_notification_and_email(tokyo, live_server, scene, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page, day = tokyo, scene["day"]
    log_in(page, live_server, "member")

    # 1. Through the calendar: the grid is on Berlin's clock and says so.
    open_week(page, f"{live_server.url}/resources/{scene['gpu'].pk}/calendar/", day)
    expect(page.locator("#calendar-zone")).to_contain_text("Europe/Berlin")
    drag(page, point(page, day, "14:00"), point(page, day, "14:30", "bottom"))
    form = page.frame_locator("#booking-frame")
    expect(form.locator("#zone-note")).to_contain_text("Europe/Berlin")
    form.get_by_label("Title").fill("from the calendar")
    form.get_by_role("button", name="Book").click()
    expect(page.locator(".fc-event", has_text="from the calendar")).to_contain_text("14:00")

    # 2. Through the form: it names the clock it reads.
    page.goto(f"{live_server.url}/reservations/new/?resource={scene['gpu'].pk}")
    expect(page.locator("#zone-note")).to_contain_text("Europe/Berlin")
    page.get_by_label("Start").fill(f"{day.isoformat()}T10:00")
    page.get_by_label("End").fill(f"{day.isoformat()}T11:00")
    page.get_by_label("Title").fill("from the form")
    page.get_by_label("Repeat").select_option("WEEKLY")
    page.get_by_label("Number of occurrences").fill("2")
    page.get_by_role("button", name="Book").click()
    expect(page.locator(".when")).to_have_text(labelled(day, 10, 11))

    # 3. Through the API, by the site administrator for the member (so the member is notified).
    api = APIClient()
    api.force_authenticate(scene["admin"])
    response = api.post(
        "/api/reservations/",
        {
            "resource": scene["gpu"].pk,
            "owner": "member",
            "title": "from the API",
            "start": at(day, 16).isoformat(),
            "end": at(day, 17).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content

    stored = sorted((b.title, b.start, b.end) for b in Reservation.objects.all())
    week = timedelta(days=7)
    assert stored == [
        ("from the API", at(day, 16), at(day, 17)),
        ("from the calendar", at(day, 14), at(day, 15)),
        ("from the form", at(day, 10), at(day, 11)),
        ("from the form", at(day + week, 10), at(day + week, 11)),  # 10:00 stays 10:00 on the site's clock
    ]
    page.goto(f"{live_server.url}/reservations/mine/")
    for first, last in ((10, 11), (14, 15), (16, 17)):
        expect(page.locator("body")).to_contain_text(labelled(day, first, last))
    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator(".notifications")).to_contain_text(labelled(day, 16, 17))
    expect(page.locator(".notifications .muted").first).to_contain_text(re.compile(r"E[SD]T"))  # when, named

    send_notification_email(Notification.objects.get(user=scene["member"]).pk)
    assert labelled(day, 16, 17) in mail.outbox[0].body

    page.goto(f"{live_server.url}/reservations/mine/")
    page.get_by_role("button", name="Calendar link").click()
    link = page.locator("#calendar-link").inner_text().strip()
    assert "/ical/feed.ics?key=cal_" in link
    feed = page.request.get(link).text()
    assert f"DTSTART;TZID=Europe/Berlin:{day:%Y%m%d}T140000" in feed and "BEGIN:VTIMEZONE" in feed
    assert f"{day:%a %Y-%m-%d} 14:00" in feed.replace("\r\n ", "")


def test_editing_a_booking_and_a_series_on_their_pages(tokyo, live_server, scene):
    page, day = tokyo, scene["day"]
    single = services.reservation_create(
        actor=scene["member"], resource=scene["gpu"], start=at(day, 9), end=at(day, 10), title="single"
    )
    series = services.series_create(
        actor=scene["member"],
        resource=scene["gpu"],
        start=at(day, 12),
        end=at(day, 13),
        rrule="FREQ=WEEKLY;COUNT=3",
        title="weekly",
    ).created
    log_in(page, live_server, "member")

    page.goto(f"{live_server.url}/reservations/{single.pk}/")
    expect(page.get_by_label("Start")).to_have_value(f"{day.isoformat()}T09:00")  # Berlin, not Tokyo
    page.get_by_label("Title").fill("single, renamed")
    page.get_by_label("End").fill(f"{day.isoformat()}T10:30")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message")).to_contain_text("Booking changed.")
    single.refresh_from_db()
    assert (single.title, single.end) == ("single, renamed", at(day, 10, 30))

    second = series[1]
    page.goto(f"{live_server.url}/reservations/{second.pk}/")
    second_day = second.start.astimezone(BERLIN).date()
    page.get_by_label("Start").fill(f"{second_day.isoformat()}T15:00")
    page.get_by_label("End").fill(f"{second_day.isoformat()}T16:00")
    page.get_by_label("Apply to").select_option("following")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message")).to_contain_text("Booking changed.")
    hours = [r.start.astimezone(BERLIN).hour for r in Reservation.objects.filter(title="weekly").order_by("start")]
    assert hours == [12, 15, 15]


def test_time_blocked_by_the_server_or_its_parts_is_shown_and_cannot_be_dragged(tokyo, live_server, scene):
    page, day = tokyo, scene["day"]
    services.reservation_create(
        actor=scene["admin"], resource=scene["server"], start=at(day, 9), end=at(day, 12), title="driver upgrade"
    )
    log_in(page, live_server, "member")
    open_week(page, f"{live_server.url}/resources/{scene['gpu'].pk}/calendar/", day)
    blocked = page.locator(".fc-event.blocked")
    expect(blocked).to_contain_text("Blocked by dgx-01")
    expect(blocked).not_to_contain_text("driver upgrade")  # the member may not see the admin's title
    drag(page, point(page, day, "10:00"), point(page, day, "10:30", "bottom"))
    expect(page.locator("#calendar-message")).to_contain_text("This time is taken: Blocked by dgx-01")
    expect(page.locator("#booking-dialog")).to_be_hidden()

    page.goto(f"{live_server.url}/calendar/berlin/timeline/?date={day.isoformat()}&days=1")
    gpu_row = page.locator("tr", has_text="dgx-01-gpu0")
    expect(gpu_row.locator(".bar.blocked")).to_have_text("Blocked by dgx-01")

    services.reservation_create(
        actor=scene["member"], resource=scene["gpu"], start=at(day, 14), end=at(day, 15), title="training"
    )
    open_week(page, f"{live_server.url}/resources/{scene['server'].pk}/calendar/", day)
    expect(page.locator(".fc-event.blocked", has_text="training")).to_contain_text("Blocked by dgx-01-gpu0")


def test_dragging_an_occurrence_asks_which_occurrences_move(tokyo, live_server, scene):
    page, day = tokyo, scene["day"]
    services.series_create(
        actor=scene["member"],
        resource=scene["gpu"],
        start=at(day, 9),
        end=at(day, 10),
        rrule="FREQ=DAILY;COUNT=3",
        title="daily",
    )
    log_in(page, live_server, "member")
    open_week(page, f"{live_server.url}/resources/{scene['gpu'].pk}/calendar/", day)
    first = page.locator(f".fc-timegrid-col[data-date='{day.isoformat()}'] .fc-event", has_text="daily")

    def drag_first_to(hh_mm):
        box = first.bounding_box()
        target = point(page, day, hh_mm)
        drag(page, (box["x"] + box["width"] / 2, box["y"] + 5), (target[0], target[1] + 3))

    drag_first_to("11:00")
    expect(page.locator("#scope-dialog")).to_be_visible()
    page.locator("#scope-none").click()  # backing out puts it back
    expect(first).to_contain_text("09:00")
    assert Reservation.objects.filter(title="daily", start__hour=8).count() == 3  # 09:00 Berlin is 08:00 UTC

    drag_first_to("11:00")
    page.locator("#scope-all").click()
    expect(
        page.locator(f".fc-timegrid-col[data-date='{(day + timedelta(days=1)).isoformat()}'] .fc-event")
    ).to_contain_text("11:00")
    hours = [r.start.astimezone(BERLIN).hour for r in Reservation.objects.filter(title="daily")]
    assert hours == [11, 11, 11]


def test_cancelling_is_confirmed_and_the_reason_reaches_the_owner(tokyo, live_server, scene):
    page, day = tokyo, scene["day"]
    booking = services.reservation_create(
        actor=scene["member"], resource=scene["gpu"], start=at(day, 9), end=at(day, 10), title="training"
    )
    log_in(page, live_server, "siteadmin")
    page.goto(f"{live_server.url}/reservations/{booking.pk}/")
    page.locator("#cancel-link").click()
    expect(page.locator("h1")).to_have_text("Cancel this booking?")
    booking.refresh_from_db()
    assert booking.status == "confirmed"  # nothing happens before the confirmation
    page.get_by_label("Reason").fill("the GPU is being replaced")
    page.locator("#confirm-cancel").click()
    expect(page.locator("#cancelled")).to_contain_text("Reason: the GPU is being replaced")
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason) == ("cancelled", "the GPU is being replaced")
    told = Notification.objects.get(user=scene["member"], kind="reservation.cancelled")
    assert "Reason: the GPU is being replaced" in told.body


def test_a_new_users_zone_is_the_browsers_until_they_choose_one(tokyo, live_server, scene):
    newcomer = UserFactory(username="newcomer")
    Membership.objects.create(site=scene["site"], user=newcomer, role=Role.MEMBER)
    with tokyo.expect_response(lambda r: r.url.endswith("/api/users/me/") and r.request.method == "PATCH"):
        log_in(tokyo, live_server, "newcomer")
    tokyo.goto(f"{live_server.url}/profile/")
    expect(tokyo.get_by_label("Time zone")).to_have_value("Asia/Tokyo")  # set from the browser at first visit

    tokyo.get_by_label("Time zone").fill("Europe/Lisbon")  # a text box with IANA suggestions
    assert tokyo.locator("datalist#time_zone-zones option[value='Europe/Lisbon']").count() == 1
    tokyo.get_by_role("button", name="Save profile").click()
    newcomer.profile.refresh_from_db()
    assert newcomer.profile.time_zone == "Europe/Lisbon"
    tokyo.reload()
    expect(tokyo.get_by_label("Time zone")).to_have_value("Europe/Lisbon")  # the browser no longer overrides it
