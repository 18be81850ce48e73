"""Qualifications hold until their date, lapse unused, renew, and are revoked with the holder's
upcoming bookings left alone or cancelled, as asked."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from common.exceptions import Conflict, PermissionDenied
from notifications.models import Notification
from reservations import services as bookings
from reservations.models import Reservation, ReservationStatus
from tests.reservations.conftest import at
from training import services
from training.models import Qualification
from training.rules import standing_of
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def test_a_qualification_expires_by_date(member, microscopes, qualified):
    qualified(expires_on=at(5, 12).date())
    bookings.reservation_create(actor=member, resource=microscopes["krios"], start=at(5, 9), end=at(5, 10))
    with pytest.raises(PermissionDenied) as refused:  # the day after the last day it holds
        bookings.reservation_create(actor=member, resource=microscopes["krios"], start=at(6, 9), end=at(6, 10))
    assert refused.value.code == "not_qualified"
    assert f"expired on {at(5, 12).date():%Y-%m-%d}" in refused.value.message


def test_a_qualification_lapses_after_months_without_a_booking(member, microscopes, qualified):
    requirement = microscopes["requirement"]
    requirement.lapse_months = 3
    requirement.save()
    qualification = qualified()
    assert standing_of(qualification, requirement).valid
    with freeze_time(timezone.now() + timedelta(days=80)):  # booked in time: the clock starts again
        bookings.reservation_create(
            actor=member,
            resource=microscopes["krios"],
            start=timezone.now() + timedelta(minutes=5),
            end=timezone.now() + timedelta(hours=1),
        )
    with freeze_time(timezone.now() + timedelta(days=160)):
        assert standing_of(qualification, requirement).valid
    with freeze_time(timezone.now() + timedelta(days=175)):
        standing = standing_of(qualification, requirement)
        assert not standing.valid and standing.reason == "lapsed"
        with pytest.raises(PermissionDenied) as refused:
            bookings.reservation_create(
                actor=member,
                resource=microscopes["krios"],
                start=timezone.now() + timedelta(days=1),
                end=timezone.now() + timedelta(days=1, hours=1),
            )
        assert "lapsed on" in refused.value.message and "not booked for 3 months" in refused.value.message


def test_a_resource_of_its_own_needs_its_own_qualification(member, microscopes, qualified, site_admin):
    services.requirement_save(actor=site_admin, resource_type=microscopes["type"], resource=microscopes["glacios"])
    qualified()  # the type's training
    bookings.reservation_create(actor=member, resource=microscopes["krios"], start=at(1, 9), end=at(1, 10))
    with pytest.raises(PermissionDenied) as refused:
        bookings.reservation_create(actor=member, resource=microscopes["glacios"], start=at(1, 9), end=at(1, 10))
    assert "not trained for glacios" in refused.value.message


def test_renewing_keeps_one_standing_row(member, microscopes, qualified):
    first = qualified(expires_on=at(3, 12).date())
    again = qualified(expires_on=at(30, 12).date())
    assert first.pk == again.pk and Qualification.objects.count() == 1
    assert Qualification.objects.get().expires_on == at(30, 12).date()


def test_revoking_leaves_upcoming_bookings_alone_and_says_so(member, trainer, microscopes, qualified):
    qualification = qualified()
    booking = bookings.reservation_create(actor=member, resource=microscopes["krios"], start=at(2, 9), end=at(2, 10))
    revoked, outcome = services.qualification_revoke(actor=trainer, qualification=qualification, reason="Unsafe use")
    assert outcome == "1 upcoming booking(s) left as they are."
    booking.refresh_from_db()
    assert booking.status == ReservationStatus.CONFIRMED
    with pytest.raises(PermissionDenied):
        bookings.reservation_create(actor=member, resource=microscopes["krios"], start=at(3, 9), end=at(3, 10))
    assert Event.objects.filter(type="qualification.revoked").count() == 1
    assert Notification.objects.filter(user=member, kind="qualification.revoked", body__contains="Unsafe use").exists()
    with pytest.raises(Conflict):
        services.qualification_revoke(actor=trainer, qualification=revoked)


def test_revoking_can_cancel_the_upcoming_bookings(member, trainer, microscopes, qualified):
    qualification = qualified()
    upcoming = bookings.reservation_create(actor=member, resource=microscopes["krios"], start=at(2, 9), end=at(2, 10))
    elsewhere = bookings.reservation_create(actor=member, resource=microscopes["server"], start=at(2, 9), end=at(2, 10))
    _, outcome = services.qualification_revoke(actor=trainer, qualification=qualification, cancel_upcoming=True)
    assert outcome == "1 upcoming booking(s) cancelled."
    assert Reservation.objects.get(pk=upcoming.pk).status == ReservationStatus.CANCELLED
    assert Reservation.objects.get(pk=elsewhere.pk).status == ReservationStatus.CONFIRMED


def test_expiry_warnings_go_out_fourteen_days_ahead_once(member, microscopes, qualified):
    today = timezone.localdate()
    qualified(expires_on=today + timedelta(days=20))
    assert services.warn_expiring() == 0
    with freeze_time(timezone.now() + timedelta(days=7)):
        assert services.warn_expiring() == 1
        assert services.warn_expiring() == 0  # once per grant
    event = Event.objects.get(type="qualification.expiring")
    assert event.payload["data"]["days_left"] == 13 and event.payload["data"]["user"] == member.username
    assert Notification.objects.filter(user=member, kind="qualification.expiring").count() == 1


def test_who_may_grant(member, outsider, trainer, microscopes, site_admin, site_b):
    with pytest.raises(PermissionDenied):
        services.qualification_grant(actor=member, user=member, requirement=microscopes["requirement"])
    granted = services.qualification_grant(actor=trainer, user=member, requirement=microscopes["requirement"])
    assert granted.granted_by == trainer
    with pytest.raises(PermissionDenied):  # an administrator of another site
        services.qualification_grant(actor=outsider, user=member, requirement=microscopes["requirement"])
    with pytest.raises(Exception, match="not a member of Berlin Lab"):
        services.qualification_grant(actor=site_admin, user=outsider, requirement=microscopes["requirement"])
    assert Event.objects.filter(type="qualification.granted").count() == 1


def test_a_lapse_is_warned_fourteen_days_ahead_and_again_after_a_new_booking(member, microscopes, qualified):
    requirement = microscopes["requirement"]
    requirement.lapse_months = 1
    requirement.save()
    qualified()
    assert services.warn_lapsing() == 0
    with freeze_time(timezone.now() + timedelta(days=20)):
        assert services.warn_lapsing() == 1 and services.warn_lapsing() == 0
        bookings.reservation_create(
            actor=member,
            resource=microscopes["krios"],
            start=timezone.now() + timedelta(minutes=5),
            end=timezone.now() + timedelta(hours=1),
        )
    with freeze_time(timezone.now() + timedelta(days=45)):
        assert services.warn_lapsing() == 1  # a new lapse date, warned again
    assert Event.objects.filter(type="qualification.expiring", payload__data__reason="lapse").count() == 2
