from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from accounts.services import calendar_feed_create, profile_update
from notifications.models import Notification
from reservations import services
from reservations.models import Reservation
from reservations.tasks import send_due_reminders
from tests.factories import ResourceFactory

from .conftest import BERLIN, at

pytestmark = pytest.mark.django_db


def html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.fixture
def booked(member, site_admin, tree):
    mine = services.reservation_create(
        actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 11), title="my training"
    )
    theirs = services.reservation_create(
        actor=site_admin, resource=tree["gpu1"], start=at(1, 12), end=at(1, 13), title="admin secret"
    )
    return mine, theirs


def test_calendar_pages_render(client, member, tree, booked, site_a):
    client.force_login(member)
    assert client.get("/calendar/").url == "/calendar/berlin/"
    page = html(client, "/calendar/berlin/")
    assert 'id="calendar"' in page and "dgx-01-gpu0" in page
    assert "fullcalendar/core/index.global.min.js" in page
    page = html(client, f"/resources/{tree['gpu0'].pk}/calendar/")
    assert 'action="/profile/calendar-links/new/"' in page and f'name="resource" value="{tree["gpu0"].pk}"' in page


def test_timeline_shows_bars_and_hides_colleagues_details(client, member, tree, booked):
    profile_update(actor=member, user=member, time_zone="Europe/Berlin")
    client.force_login(member)
    page = html(client, f"/calendar/berlin/timeline/?date={at(1, 0).date().isoformat()}&days=1")
    assert "my training" in page
    assert "admin secret" not in page and ">Booked<" in page
    assert "left: 37.500%" in page  # 09:00 is 9/24 of the day (the member's zone is Berlin)


def test_my_bookings_lists_upcoming_first(client, member, booked):
    client.force_login(member)
    page = html(client, "/reservations/mine/")
    assert "my training" in page and "admin secret" not in page


def test_the_booking_form_works_without_javascript(client, member, tree):
    profile_update(actor=member, user=member, time_zone="Europe/Berlin")
    client.force_login(member)
    page = html(client, f"/reservations/new/?resource={tree['microscope'].pk}")
    assert "Sample" in page
    response = client.post(
        "/reservations/new/",
        {
            "resource": tree["microscope"].pk,
            "start": at(2, 9).strftime("%Y-%m-%dT%H:%M"),
            "end": at(2, 10).strftime("%Y-%m-%dT%H:%M"),
            "title": "EM session",
            "param_sample": "cryo",
            "repeat": "WEEKLY",
            "repeat_count": "3",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    bookings = Reservation.objects.order_by("start")
    assert [b.start for b in bookings] == [at(2, 9), at(9, 9), at(16, 9)]
    assert bookings[0].parameters == {"sample": "cryo"}


def test_form_shows_the_conflict(client, member, tree, booked):
    client.force_login(member)
    page = client.post(
        "/reservations/new/",
        {
            "resource": tree["server"].pk,
            "start": at(1, 10).astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M"),
            "end": at(1, 12).astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M"),
        },
    ).content.decode()
    assert "is already booked" in page


def test_detail_edit_and_cancel(client, member, booked):
    mine, theirs = booked
    client.force_login(member)
    assert client.get(f"/reservations/{theirs.pk}/").status_code == 404
    client.post(f"/reservations/{mine.pk}/cancel/")
    mine.refresh_from_db()
    assert mine.status == "cancelled"


def test_ical_feeds(client, member, tree, booked):
    _, mine = calendar_feed_create(actor=member, user=member)
    response = client.get(f"/ical/feed.ics?key={mine}")
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["my training: dgx-01-gpu0"]
    _, gpu1 = calendar_feed_create(actor=member, user=member, resource=tree["gpu1"])
    feed = Calendar.from_ical(client.get(f"/ical/feed.ics?key={gpu1}").content)
    assert [str(e["summary"]) for e in feed.walk("VEVENT")] == ["Booked: dgx-01-gpu1"]
    assert client.get("/ical/feed.ics?key=not-a-key").status_code == 404
    assert client.get("/ical/feed.ics").status_code == 404


def test_notifications_and_reminders(client, member, site_admin, tree, api_for, settings, mailoutbox):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    soon = services.reservation_create(
        actor=site_admin, resource=tree["gpu0"], owner=member, start=at(1, 9), end=at(1, 10)
    )
    now = timezone.now()
    Reservation.objects.filter(pk=soon.pk).update(start=now + timedelta(minutes=10), end=now + timedelta(minutes=70))
    assert send_due_reminders()["reminders"] == 1
    assert send_due_reminders()["reminders"] == 0  # once only
    kinds = list(Notification.objects.filter(user=member).values_list("kind", flat=True))
    assert sorted(kinds) == ["reservation.created", "reservation.reminder"]
    api = api_for(member)
    assert api.get("/api/notifications/unread-count/").json() == {"unread": 2}
    api.post("/api/notifications/mark-read/", {}, format="json")
    assert api.get("/api/notifications/unread-count/").json() == {"unread": 0}
    client.force_login(member)
    assert "Notifications: 0 unread" in html(client, "/notifications/")


def test_notification_email_is_sent_once_and_can_be_switched_off(
    member, site_admin, tree, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.services import profile_for
    from notifications.services import notify
    from notifications.tasks import send_notification_email

    with django_capture_on_commit_callbacks() as queued:
        note = notify(user=member, kind="reservation.cancelled", title="Your booking was cancelled", url="/x/")
    assert len(queued) == 1  # the email goes out from a Celery task after commit
    assert send_notification_email(note.pk) is True
    assert send_notification_email(note.pk) is False  # a redelivered task sends nothing twice
    assert [m.subject for m in mailoutbox] == ["Your booking was cancelled"]
    assert mailoutbox[0].to == ["member@example.org"] and "/x/" in mailoutbox[0].body

    profile = profile_for(member)
    profile.email_notifications = False
    profile.save()
    member.refresh_from_db()

    with django_capture_on_commit_callbacks() as queued:
        notify(user=member, kind="reservation.cancelled", title="Quiet")
    assert queued == []


def test_ending_soon_notice(member, tree):
    booking = services.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10))
    now = timezone.now()
    Reservation.objects.filter(pk=booking.pk).update(start=now - timedelta(hours=1), end=now + timedelta(minutes=5))
    assert send_due_reminders()["ending_soon"] == 1
    assert send_due_reminders()["ending_soon"] == 0
    assert Notification.objects.filter(user=member, kind="reservation.ending_soon").exists()


def test_a_resources_page_says_what_it_is_and_where_it_belongs(client, member, tree):
    server = tree["server"]
    server.specs, server.attributes = "8x A100 80GB", {"gpu_memory_gb": 80}
    server.save()
    client.force_login(member)
    page = html(client, f"/resources/{server.pk}/calendar/")
    assert "8x A100 80GB" in page and "<dt>gpu_memory_gb</dt><dd>80</dd>" in page
    assert f'href="/resources/{tree["gpu0"].pk}/calendar/">dgx-01-gpu0</a>' in page
    assert f'href="/reservations/new/?resource={server.pk}"' in page
    page = html(client, f"/resources/{tree['gpu0'].pk}/calendar/")
    assert f'Part of <a href="/resources/{server.pk}/calendar/">dgx-01</a>' in page


def test_the_calendars_dialog_offers_only_that_sites_resources(client, admin_user, site_a, site_b):
    """Dragged on Berlin's calendar, the times are on Berlin's clock: Boston's machines are not offered."""
    here = ResourceFactory(site=site_a, name="here-01")
    there = ResourceFactory(site=site_b, name="there-01")
    client.force_login(admin_user)
    dialog = client.get("/reservations/new/", {"embed": "1", "site": site_a.pk}).text
    assert f'value="{here.pk}"' in dialog and f'value="{there.pk}"' not in dialog
    assert f'action="?embed=1&amp;site={site_a.pk}"' in dialog  # kept when the form is sent
    page = client.get("/reservations/new/").text
    assert f'value="{here.pk}"' in page and f'value="{there.pk}"' in page


def test_a_series_page_says_how_many_occurrences_were_skipped(client, member, tree):
    services.reservation_create(actor=member, resource=tree["gpu0"], start=at(9, 9), end=at(9, 10))
    result = services.series_create(
        actor=member,
        resource=tree["gpu0"],
        start=at(7, 9),
        end=at(7, 10),
        rrule="FREQ=DAILY;COUNT=5",
        skip_conflicts=True,
    )
    client.force_login(member)
    page = html(client, f"/reservations/{result.created[0].pk}/")
    assert "Daily, 5 times (4 booked, 1 skipped)" in page
