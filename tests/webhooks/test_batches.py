"""Deliveries go out in batches (issue 39): one task claims its own delivery and other due ones in
one statement, posts them in order, and stores the successes together; the rules of one delivery
hold for each (due only, a subject's events in order, a lease that holds while it posts)."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus
from webhooks.outbox import write_event
from webhooks.transport.batches import deliver_batch

from .support import hook

pytestmark = pytest.mark.django_db(transaction=True)


def _events(scene, webhook, count, *, key=None):
    made = []
    for n in range(count):
        data = {"n": n} if key is None else {"n": n, "reservation": {"id": key}}
        made.append(write_event(event_type="reservation.updated" if key else "webhook.test", data=data,
                                site_id=scene["site"].pk, webhooks=[webhook]))  # fmt: skip
    return list(Delivery.objects.filter(event__in=made).order_by("pk"))


def test_one_task_sends_a_batch_in_order_and_stores_it_together(scene, receiver, settings):
    settings.WEBHOOK_DELIVERY_BATCH = 20
    webhook, _ = hook(scene, f"{receiver.url}/ok")
    deliveries = _events(scene, webhook, 12)
    with CaptureQueriesContext(connection) as queries:
        said = deliver_batch(deliveries[0].pk)
    assert said == "12 posted, 12 delivered"
    assert [json.loads(r["body"])["data"]["n"] for r in receiver.received()] == list(range(12))
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    assert DeliveryAttempt.objects.filter(succeeded=True).count() == 12
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "webhooks_deliveryattempt"')]
    assert len(inserts) == 1  # one INSERT for the batch's attempts
    updates = [q for q in queries.captured_queries if q["sql"].lstrip().startswith("UPDATE webhooks_delivery ")]
    assert len(updates) == 2  # the claim, then the successes together
    with CaptureQueriesContext(connection) as queries:
        assert deliver_batch(deliveries[5].pk) == "skipped"  # its own task finds it done
    assert len(queries.captured_queries) == 1  # the claim alone, taking nothing
    assert not connection.in_atomic_block


def test_a_batch_takes_one_event_per_subject_and_the_next_follows_in_order(scene, receiver):
    webhook, _ = hook(scene, f"{receiver.url}/ok")
    first, second = _events(scene, webhook, 2, key=4242)
    assert first.ordering_key and first.ordering_key == second.ordering_key
    assert deliver_batch(first.pk) == "1 posted, 1 delivered"
    second.refresh_from_db()
    assert second.status == DeliveryStatus.PENDING  # not in the first one's batch
    assert deliver_batch(second.pk) == "1 posted, 1 delivered"
    assert [json.loads(r["body"])["data"]["n"] for r in receiver.received()] == [0, 1]


def test_a_batch_hands_on_each_subjects_next_event_in_one_statement(scene, receiver, monkeypatch):
    from webhooks.queue import DELIVER

    webhook, _ = hook(scene, f"{receiver.url}/ok")
    firsts, seconds = [], []
    for subject in (7001, 7002, 7003):
        first, second = _events(scene, webhook, 2, key=subject)
        firsts.append(first)
        seconds.append(second)
    sent = []
    monkeypatch.setattr(DELIVER, "apply_async", lambda args, **options: sent.append(args[0]))
    with CaptureQueriesContext(connection) as queries:
        assert deliver_batch(firsts[0].pk) == "3 posted, 3 delivered"  # one event of each subject
    assert len([q for q in queries.captured_queries if "DISTINCT ON" in q["sql"]]) == 1
    assert sorted(sent) == sorted(d.pk for d in seconds)  # each subject's next, handed on after commit


def test_a_delivery_waiting_for_its_retry_is_not_taken(scene, receiver):
    webhook, _ = hook(scene, f"{receiver.url}/ok")
    now_due, later = _events(scene, webhook, 2)
    Delivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert deliver_batch(now_due.pk) == "1 posted, 1 delivered"
    later.refresh_from_db()
    assert later.status == DeliveryStatus.PENDING and later.attempts == 0


def test_failures_in_a_batch_are_stored_one_by_one_with_their_retry(scene, receiver):
    good, _ = hook(scene, f"{receiver.url}/ok", name="good")
    bad, _ = hook(scene, f"{receiver.url}/flaky/5", name="flaky")
    ok = _events(scene, good, 2)
    failing = _events(scene, bad, 1)
    said = deliver_batch(ok[0].pk)
    assert said == "3 posted, 2 delivered"
    failing[0].refresh_from_db()
    assert (failing[0].status, failing[0].attempts, failing[0].last_status_code) == (DeliveryStatus.PENDING, 1, 503)
    assert failing[0].next_attempt_at > timezone.now()


def test_a_batch_out_of_lease_time_gives_the_rest_back(scene, receiver, settings):
    settings.WEBHOOK_LEASE_GRACE_SECONDS = 0  # no time to post anything safely
    webhook, _ = hook(scene, f"{receiver.url}/ok")
    deliveries = _events(scene, webhook, 3)
    assert deliver_batch(deliveries[0].pk) == "0 posted, 0 delivered"
    assert set(Delivery.objects.values_list("status", "lease_until")) == {(DeliveryStatus.PENDING, None)}
    assert receiver.received() == []


def test_what_was_posted_is_stored_through_a_short_database_outage(monkeypatch):
    from django.db import OperationalError

    from webhooks.transport import batches

    monkeypatch.setattr(batches.time, "sleep", lambda seconds: None)
    calls = []

    def store():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("the server closed the connection")

    batches._stored(store)
    assert len(calls) == 3
