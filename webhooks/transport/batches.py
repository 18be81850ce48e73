"""Deliveries sent in batches (issue 39): a delivery task claims the delivery it was sent for and up
to `WEBHOOK_DELIVERY_BATCH - 1` other due ones in one statement, posts them one after the other
(over the kept-alive connection of each receiver), and stores the successes together. One claim,
one store and one Celery task then serve many deliveries instead of one each; the tasks queued for
the others find them taken and claim what is due by then, or nothing.

The rules of a single delivery hold for each one of a batch: only due, pending deliveries are taken
(the task's own one also when its lease ran out), at most the first undone delivery of each subject
and webhook (so a receiver still sees a subject's events in order), and each under a lease. A batch
stops posting before any claimed delivery's lease could run out, and gives the rest back."""

import time
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from common import broker
from webhooks.models import Delivery, DeliveryStatus, Webhook
from webhooks.queue import DELIVER

from . import delivery as sending

_CLAIM = f"""
UPDATE {Delivery._meta.db_table} d
SET status = %(delivering)s, lease_until = %(now)s + make_interval(secs => w.timeout_seconds + %(grace)s)
FROM {Webhook._meta.db_table} w
WHERE w.id = d.webhook_id AND d.id IN (
    SELECT c.id FROM {Delivery._meta.db_table} c
    WHERE c.next_attempt_at <= %(soon)s
      AND (c.status = %(pending)s OR (c.id = %(first)s AND c.status = %(delivering)s AND c.lease_until < %(now)s))
      AND NOT EXISTS (
          SELECT 1 FROM {Delivery._meta.db_table} e
          WHERE c.ordering_key <> '' AND e.webhook_id = c.webhook_id AND e.ordering_key = c.ordering_key
            AND e.id < c.id AND e.status IN (%(pending)s, %(delivering)s)
            AND e.ordering_key <> ''  -- so that the partial index of undone subjects answers it
      )
    ORDER BY c.id <> %(first)s, c.id
    LIMIT %(limit)s
    FOR UPDATE OF c SKIP LOCKED
)
RETURNING d.id
"""  # noqa: S608 - table names come from the models; every value is a parameter


def claim(first: int, limit: int, now) -> list[Delivery]:
    """Take `first` (if it is due) and up to `limit - 1` other due deliveries, leased; in id order."""
    params = {
        "first": first,
        "limit": limit,
        "now": now,
        "soon": now + timedelta(seconds=1),
        "grace": settings.WEBHOOK_LEASE_GRACE_SECONDS,
        "pending": DeliveryStatus.PENDING,
        "delivering": DeliveryStatus.DELIVERING,
    }
    # One statement, atomic on its own: no BEGIN and COMMIT round trips around it (most claims are
    # a batch's other tasks finding nothing left).
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, params)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(Delivery.objects.select_related("webhook", "event").filter(pk__in=ids).order_by("pk"))


def _give_back(rows: list[Delivery]) -> None:
    """Claimed but not posted (the batch ran out of time): pending again, and handed to the workers."""
    ids = [row.pk for row in rows]
    Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.DELIVERING).update(
        status=DeliveryStatus.PENDING, lease_until=None
    )
    for pk in ids:
        if not broker.send(DELIVER, (pk,)):
            return  # broker down: the sweeper sends them


def _stored(store) -> None:
    """Store what was posted, through a short database outage (a restart, a failover): the
    receivers have it, and an outcome lost here would have the sweeper send it again once the lease
    runs out. Only a lost connection is retried, a few times within the lease's grace."""
    for pause in (0.2, 0.4, 0.8, 1.6, 3.2):
        try:
            store()
            return
        except (OperationalError, InterfaceError):
            connection.close()  # the next try opens a new one
            time.sleep(pause)
    store()


def deliver_batch(delivery_id: int) -> str:
    """What the delivery task does: claim a batch led by `delivery_id`, post each, store them."""
    began = timezone.now()
    rows = claim(delivery_id, settings.WEBHOOK_DELIVERY_BATCH, began)
    if not rows:
        return "skipped"
    sent, posted = [], 0
    for index, row in enumerate(rows):
        # A row's lease is its timeout plus the grace from the claim: post only while that holds.
        if (timezone.now() - began).total_seconds() >= settings.WEBHOOK_LEASE_GRACE_SECONDS:
            _give_back(rows[index:])
            break
        if not row.webhook.enabled:
            row.status = DeliveryStatus.CANCELLED
            row.save(update_fields=["status"])
            continue
        started = timezone.now()
        body, headers = sending.build_request(row.webhook, row)
        outcome = sending.post(row.webhook, body, headers)
        posted += 1
        if sending.succeeded(outcome):
            sent.append((row, row.attempts + 1, started, body, headers, outcome))
        else:
            attempt = (row, row.attempts + 1, started, body, headers, outcome)
            _stored(lambda attempt=attempt: sending.record(*attempt))
    _stored(lambda: sending.record_succeeded(sent))
    return f"{posted} posted, {len(sent)} delivered"
