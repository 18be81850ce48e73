"""Using booked time: check in within the window or lose the rest (no-show, released once by
beat), check out early, extend when the time is free and the rules allow it."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

import reservoir_cli
from accounts.services import api_token_create
from common.exceptions import Conflict
from notifications.models import Notification
from reservations import selectors, services, tasks
from reservations.models import Reservation
from reservations.policies import checkin
from reservations.policies import tasks as policy_tasks
from tests.factories import ResourceFactory, ResourceTypeFactory
from webhooks.models import Event

from .conftest import at

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


@pytest.fixture
def scope(site_a):
    kind = ResourceTypeFactory(
        site=site_a, name="Microscope", checkin_window=timedelta(minutes=15), max_duration=timedelta(hours=4)
    )
    return ResourceFactory(site=site_a, resource_type=kind, name="scope-1")


def now_minute():
    return timezone.now().replace(second=0, microsecond=0)


def running(user, resource, *, started_minutes_ago=5, length=timedelta(hours=2)):
    """A booking that began a few minutes ago (made by a site administrator, who may book the past)."""
    start = now_minute() - timedelta(minutes=started_minutes_ago)
    booking = services.reservation_create(actor=user, resource=resource, start=start, end=start + length)
    Reservation.objects.filter(pk=booking.pk).update(started_event_at=start)
    booking.refresh_from_db()
    return booking


def kinds(booking):
    return list(
        Event.objects.filter(payload__data__reservation__id=booking.pk)
        .order_by("timestamp")
        .values_list("type", flat=True)
    )


def test_a_booking_of_a_check_in_type_has_a_deadline(member, scope):
    booking = services.reservation_create(actor=member, resource=scope, start=at(2, 10), end=at(2, 11))
    assert booking.checkin_until == at(2, 10, 15)
    services.reservation_update(actor=member, reservation=booking, start=at(2, 12), end=at(2, 13))
    booking.refresh_from_db()
    assert booking.checkin_until == at(2, 12, 15)


def test_check_in_opens_shortly_before_the_start(member, scope):
    booking = services.reservation_create(actor=member, resource=scope, start=at(2, 10), end=at(2, 11))
    with pytest.raises(Conflict, match="Check-in opens at") as early:
        checkin.reservation_check_in(actor=member, reservation=booking)
    assert early.value.code == "too_early"


def test_checked_in_bookings_are_kept(site_admin, scope):
    booking = running(site_admin, scope)
    checkin.reservation_check_in(actor=site_admin, reservation=booking)
    Reservation.objects.filter(pk=booking.pk).update(checkin_until=timezone.now() - MINUTE)
    assert policy_tasks.release_no_shows() == 0
    booking.refresh_from_db()
    assert booking.released_at is None and booking.checked_in_at is not None


def test_a_no_show_is_released_once_with_its_events(site_admin, member, scope):
    booking = running(site_admin, scope)
    Reservation.objects.filter(pk=booking.pk).update(owner=member, checkin_until=timezone.now() - MINUTE)
    old_end = booking.end
    assert policy_tasks.release_no_shows() == 1
    assert policy_tasks.release_no_shows() == 0
    booking.refresh_from_db()
    assert booking.release_reason == "no_show" and booking.end < old_end
    assert kinds(booking)[-2:] == ["reservation.released", "reservation.ended"]
    released = Event.objects.get(type="reservation.released", payload__data__reservation__id=booking.pk)
    assert released.payload["data"]["reservation"]["reason"] == "no_show"
    assert Notification.objects.filter(user=member, kind="reservation.released").exists()
    # The rest of the slot is free for someone else.
    later = booking.end + timedelta(minutes=5)
    services.reservation_create(actor=site_admin, resource=scope, start=later, end=later + timedelta(minutes=30))


def test_check_out_frees_the_rest_and_ends_now(site_admin, scope):
    booking = running(site_admin, scope)
    checkin.reservation_check_out(actor=site_admin, reservation=booking)
    booking.refresh_from_db()
    assert booking.release_reason == "checked_out" and booking.end <= timezone.now()
    ended = Event.objects.get(type="reservation.ended", payload__data__reservation__id=booking.pk)
    assert ended.payload["data"]["reservation"]["released"] == "checked_out"
    with pytest.raises(Conflict):
        checkin.reservation_check_out(actor=site_admin, reservation=booking)


def test_extend_when_free_and_within_the_rules(member, second_member, scope):
    booking = services.reservation_create(actor=member, resource=scope, start=at(2, 10), end=at(2, 11))
    checkin.reservation_extend(actor=member, reservation=booking, end=at(2, 12))
    assert Event.objects.filter(type="reservation.updated", payload__data__reservation__end__isnull=False).exists()
    services.reservation_create(actor=second_member, resource=scope, start=at(2, 13), end=at(2, 14))
    with pytest.raises(Conflict, match="already booked"):
        checkin.reservation_extend(actor=member, reservation=booking, end=at(2, 13, 30))
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at most 4 hour"):
        checkin.reservation_extend(actor=member, reservation=booking, end=at(2, 14, 30))
    with pytest.raises(Conflict, match="later"):
        checkin.reservation_extend(actor=member, reservation=booking, end=at(2, 11))


def test_the_api_and_the_page(member, member_api, client, site_admin, scope):
    booking = services.reservation_create(actor=member, resource=scope, start=at(2, 10), end=at(2, 11))
    extended = member_api.post(f"/api/reservations/{booking.pk}/extend/", {"minutes": 30}, format="json")
    assert extended.status_code == 200, extended.content
    assert datetime.fromisoformat(extended.json()["end"]) == at(2, 11, 30)
    bad = member_api.post(f"/api/reservations/{booking.pk}/extend/", {}, format="json")
    assert bad.status_code == 400 and "end" in bad.json()["errors"]
    early = member_api.post(f"/api/reservations/{booking.pk}/check-in/")
    assert early.status_code == 409 and early.json()["code"] == "too_early"
    client.force_login(member)
    page = client.get(f"/reservations/{booking.pk}/").text
    assert 'id="extend"' in page and 'id="check-in"' not in page and 'id="checkin-due"' in page
    done = client.post(f"/reservations/{booking.pk}/use/", {"action": "extend", "minutes": "30"}, follow=True)
    assert "Extended by 30 minutes." in done.text
    booking.refresh_from_db()
    assert booking.end == at(2, 12)


@pytest.mark.django_db(transaction=True)
def test_the_command_line_checks_in_and_extends(live_server, site_admin, scope, capsys):
    booking = running(site_admin, scope)
    _, token = api_token_create(actor=site_admin, user=site_admin, name="cli")

    def cli(*argv):
        code = reservoir_cli.main(["--url", live_server.url, "--token", token, *argv])
        return code, capsys.readouterr().out

    code, out = cli("booking", "check-in", str(booking.pk))
    assert code == 0 and f"{booking.pk}\tscope-1" in out
    code, out = cli("booking", "extend", str(booking.pk), "--minutes", "30")
    assert code == 0
    booking.refresh_from_db()
    assert booking.checked_in_at is not None and booking.end - booking.start == timedelta(hours=2, minutes=30)
    code, out = cli("booking", "extend", str(booking.pk), "--minutes", "600")
    assert code == 2 and "error 400" in out


def test_ending_soon_says_how_far_the_booking_could_be_extended(member, second_member, scope):
    booking = services.reservation_create(actor=member, resource=scope, start=at(2, 10), end=at(2, 11))
    services.reservation_create(actor=second_member, resource=scope, start=at(2, 13), end=at(2, 14))
    assert selectors.free_after(booking) == at(2, 13)
    services.reservation_update(actor=member, reservation=booking, end=at(2, 13))
    assert selectors.free_after(booking) == at(2, 13)  # nothing left: the next one follows


def test_a_check_in_deadline_task_releases_once_and_spares_a_checked_in_booking(site_admin, scope):
    missed = running(site_admin, scope)
    kept = running(site_admin, scope, started_minutes_ago=300, length=timedelta(hours=1))
    Reservation.objects.filter(pk__in=[missed.pk, kept.pk]).update(checkin_until=timezone.now() - MINUTE)
    Reservation.objects.filter(pk=kept.pk).update(checked_in_at=timezone.now() - MINUTE)
    assert tasks.fire_deadline(kept.pk, "no_show") == 0
    assert tasks.fire_deadline(missed.pk, "no_show") == 1
    assert tasks.fire_deadline(missed.pk, "no_show") == 0
