"""Notification emails leave through an outbox: owed in the same transaction as their cause, sent by a
worker to a real SMTP server, tried again with backoff, never twice."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Profile
from notifications import services as notifications
from notifications.models import Notification
from notifications.tasks import send_notification_email, sweep_emails
from reservations import services as bookings
from tests.concurrency import race
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def booked_for(member, site_admin, site, hours=1):
    start = timezone.now() + timedelta(hours=hours)
    resource = ResourceFactory(site=site)
    return bookings.reservation_create(
        actor=site_admin, resource=resource, start=start, end=start + timedelta(hours=1), owner=member
    )


def test_the_email_is_owed_with_its_cause_or_not_at_all(member, site_admin, site_a, mailbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        booked_for(member, site_admin, site_a)
        raise RuntimeError("the booking fails after the notice was written")
    assert not Notification.objects.exists()
    booking = booked_for(member, site_admin, site_a)
    (notice,) = Notification.objects.filter(user=member)
    assert notice.email_due_at is not None and notice.emailed_at is None
    assert send_notification_email(notice.pk) is True
    assert send_notification_email(notice.pk) is False  # a redelivered task finds nothing owed
    (mail,) = mailbox.wait_for(1)
    assert mail["to"] == [member.email] and f"/reservations/{booking.pk}/" in mail["data"]
    notice.refresh_from_db()
    assert notice.emailed_at is not None and notice.email_due_at is None and notice.email_attempts == 1


def test_no_email_is_owed_to_who_does_not_want_one(member, site_admin, site_a):
    Profile.objects.update_or_create(user=member, defaults={"email_notifications": False})
    booked_for(member, site_admin, site_a)
    assert Notification.objects.get(user=member).email_due_at is None


def test_a_refusing_mail_server_is_tried_again_later_then_given_up_and_an_operator_can_retry(
    member, site_admin, site_a, mailbox, settings
):
    settings.EMAIL_MAX_ATTEMPTS = 2
    booked_for(member, site_admin, site_a)
    notice = Notification.objects.get(user=member)
    mailbox.refuse = True
    assert send_notification_email(notice.pk) is False
    notice.refresh_from_db()
    wait = (notice.email_due_at - timezone.now()).total_seconds()
    assert notice.email_attempts == 1 and 25 < wait <= 36 and "451" in notice.email_error
    assert send_notification_email(notice.pk) is False  # asked again (a swept retry): refused again
    notice.refresh_from_db()
    assert notice.email_attempts == 2 and notice.email_due_at is None  # given up after EMAIL_MAX_ATTEMPTS
    assert sweep_emails() == 0
    mailbox.refuse = False
    assert notifications.email_retry(notifications=Notification.objects.all()) == 1
    assert send_notification_email(notice.pk) is True
    assert len(mailbox.wait_for(1)) == 1
    assert notifications.email_retry(notifications=Notification.objects.all()) == 0  # sent: never again


def test_the_sweeper_hands_over_what_is_owed_and_due_only(member, site_admin, site_a):
    for hours in (1, 2, 3):
        booked_for(member, site_admin, site_a, hours=hours)
    due, later, sent = Notification.objects.filter(user=member).order_by("pk")
    Notification.objects.filter(pk=due.pk).update(email_due_at=timezone.now() - timedelta(seconds=10))
    Notification.objects.filter(pk=later.pk).update(email_due_at=timezone.now() + timedelta(minutes=5))
    Notification.objects.filter(pk=sent.pk).update(email_due_at=None, emailed_at=timezone.now())
    assert sweep_emails() == 1
    assert sweep_emails() == 0  # handed over once per resend window, however often beat runs


def test_two_workers_racing_for_one_email_send_it_once(member, site_admin, site_a, mailbox):
    booked_for(member, site_admin, site_a)
    notice = Notification.objects.get(user=member)
    outcomes = race([lambda: send_notification_email(notice.pk) for _ in range(4)])
    assert sorted(outcomes) == [False, False, False, True]
    mailbox.wait_for(1)
    assert len(mailbox.messages) == 1
