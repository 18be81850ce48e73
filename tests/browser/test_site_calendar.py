"""The site calendar (issue 13): filters by type and resource that stay, no booking in the past, the
dialog asks for occurrences only when repeating and names fields by their labels."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reservations import services
from tenancy.models import Membership, Role
from tests.browser.support import drag, log_in, open_week, point
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    gpu_type = ResourceTypeFactory(name="GPU server")
    scope_type = ResourceTypeFactory(
        name="Microscope",
        parameter_schema=[{"key": "sample", "label": "Sample kind", "type": "text", "required": True}],
    )
    gpu = ResourceFactory(site=site, resource_type=gpu_type, name="dgx-01")
    scope = ResourceFactory(site=site, resource_type=scope_type, name="krios")
    member = UserFactory(username="member")
    Membership.objects.create(site=site, user=member, role=Role.MEMBER)
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=2)
    start = timezone.now().astimezone(BERLIN).replace(year=day.year, month=day.month, day=day.day, hour=9, minute=0)
    services.reservation_create(
        actor=member, resource=gpu, start=start, end=start + timedelta(hours=1), title="gpu job"
    )
    services.reservation_create(
        actor=member,
        resource=scope,
        start=start + timedelta(hours=2),
        end=start + timedelta(hours=3),
        title="scope job",
        parameters={"sample": "cryo"},
    )
    return {"site": site, "gpu": gpu, "scope": scope, "day": day}


@pytest.fixture
def week(page, live_server, scene):
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, live_server, "member")
    open_week(page, f"{live_server.url}/calendar/berlin/", scene["day"])
    return page


def test_filters_narrow_the_calendar_and_are_remembered(week, live_server, scene):
    expect(week.locator(".fc-event", has_text="gpu job")).to_be_visible()
    week.get_by_label("Type").select_option(label="Microscope")
    expect(week.locator(".fc-event", has_text="gpu job")).to_have_count(0)
    expect(week.locator(".fc-event", has_text="scope job")).to_be_visible()
    open_week(week, f"{live_server.url}/calendar/berlin/", scene["day"])
    expect(week.get_by_label("Type")).to_have_value(str(scene["scope"].resource_type_id))
    expect(week.locator(".fc-event", has_text="gpu job")).to_have_count(0)


def test_past_time_cannot_be_selected(week, live_server, scene):
    yesterday = timezone.now().astimezone(BERLIN).date() - timedelta(days=1)
    open_week(week, f"{live_server.url}/calendar/berlin/", yesterday)
    drag(week, point(week, yesterday, "10:00"), point(week, yesterday, "10:30", "bottom"))
    expect(week.locator("#calendar-message")).to_contain_text("That time has passed")
    expect(week.locator("#booking-dialog")).to_be_hidden()


def test_the_dialog_is_the_booking_form_with_occurrences_only_when_repeating(week, scene):
    day = scene["day"]
    drag(week, point(week, day, "14:00"), point(week, day, "14:30", "bottom"))
    form = week.frame_locator("#booking-frame")
    expect(form.get_by_label("Number of occurrences")).to_be_hidden()
    form.get_by_label("Repeat", exact=True).select_option("WEEKLY")
    expect(form.get_by_label("Number of occurrences")).to_be_visible()
    form.get_by_label("Repeat", exact=True).select_option("")
    form.get_by_label("Resource").select_option(label="krios")  # loads the microscope's own fields
    expect(form.get_by_label("Sample kind *")).to_be_visible()
    expect(form.get_by_label("Start")).to_have_value(f"{day.isoformat()}T14:00")  # kept
    form.get_by_role("button", name="Book").click()
    expect(form.locator(".errorlist").first).to_contain_text("required")
    expect(week.locator("#booking-dialog")).to_be_visible()


@pytest.mark.parametrize(
    "viewport", [{"width": 1440, "height": 900}, {"width": 390, "height": 844}], ids=["desk", "phone"]
)
def test_the_dialogs_book_button_is_in_sight_however_long_the_form(page, live_server, scene, viewport):
    page.set_viewport_size(viewport)
    log_in(page, live_server, "member")
    day = scene["day"]
    if viewport["width"] > 500:
        open_week(page, f"{live_server.url}/calendar/berlin/", day)
        drag(page, point(page, day, "14:00"), point(page, day, "14:30", "bottom"))
    else:  # on a phone the day view: a tap-and-drag on its column
        page.goto(f"{live_server.url}/calendar/berlin/")
        page.evaluate(f"window.reservoirCalendar.gotoDate('{day.isoformat()}')")
        page.evaluate(f"window.reservoirCalendar.select('{day.isoformat()}T14:00:00', '{day.isoformat()}T14:30:00')")
    form = page.frame_locator("#booking-frame")
    form.get_by_label("Resource").select_option(label="krios")  # the longer form, with its own fields
    form.get_by_label("Repeat", exact=True).select_option("WEEKLY")
    expect(form.locator("#book-button")).to_be_in_viewport()
    frame = page.locator("#booking-frame").bounding_box()
    button = form.locator("#book-button").bounding_box()
    assert button["y"] + button["height"] <= frame["y"] + frame["height"] + 1  # inside the dialog's frame
    assert button["y"] + button["height"] <= viewport["height"]  # and on the screen
