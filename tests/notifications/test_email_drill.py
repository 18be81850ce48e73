"""The drill: Redis is down for DRILL_OUTAGE_SECONDS while bookings are made for someone who wants
emails. Every email is owed in PostgreSQL meanwhile; once Redis is back, the sweeper hands them to a
real worker, which sends each once to a real SMTP server."""

import os
import re
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.tasks import sweep_emails
from reservations import services as bookings
from tests.factories import ResourceFactory
from tests.processes import reset_producer_pool

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = float(os.environ.get("DRILL_OUTAGE_SECONDS", "30"))


def test_every_email_of_an_outage_is_sent_once_when_redis_is_back(
    member, site_admin, site_a, mailbox, own_broker, worker_factory
):
    worker = worker_factory(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_PORT=str(mailbox.port))
    resource = ResourceFactory(site=site_a)
    base = timezone.now() + timedelta(days=1)
    made = []

    def book():
        start = base + timedelta(hours=len(made))
        made.append(
            bookings.reservation_create(
                actor=site_admin, resource=resource, start=start, end=start + timedelta(minutes=30), owner=member
            ).pk
        )

    book()
    mailbox.wait_for(1)  # the ordinary path: handed over after commit, sent by the worker
    own_broker.stop()
    stopped = time.monotonic()
    while time.monotonic() - stopped < OUTAGE_SECONDS:
        book()
        time.sleep(0.1)
    owed = Notification.objects.filter(email_due_at__isnull=False).count()
    own_broker.start()
    back = time.monotonic()
    reset_producer_pool()
    restarts = 0
    deadline = back + 120
    while time.monotonic() < deadline and len(mailbox.messages) < len(made):
        restarts += worker.ensure_running()
        sweep_emails()  # what beat does every 5 s
        time.sleep(1)
    caught_up = time.monotonic() - back
    time.sleep(6)  # a few more sweeps: nothing may arrive twice
    sweep_emails()
    time.sleep(2)
    sent = Counter(int(re.search(r"/reservations/(\d+)/", m["data"]).group(1)) for m in mailbox.messages)
    print(
        f"\nemail outage drill: {len(made)} bookings, {owed} emails owed while Redis was down "
        f"{OUTAGE_SECONDS:.0f} s; {len(sent)} sent, {sum(sent.values()) - len(sent)} duplicates, "
        f"all sent {caught_up:.1f} s after Redis was back; worker restarted {restarts} time(s)"
    )
    assert owed == len(made) - 1
    assert set(sent) == set(made)
    assert max(sent.values()) == 1
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
