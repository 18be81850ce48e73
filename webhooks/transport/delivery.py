"""Sending one delivery attempt. The only module that makes outbound HTTP requests."""

import json
import logging
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from requests.adapters import HTTPAdapter

from audit import services as audit
from audit.models import Severity
from common import broker
from notifications.services import notify
from tenancy.models import Membership, Role
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Webhook
from webhooks.queue import DELIVER
from webhooks.transport import safety, signing

logger = logging.getLogger("reservoir.webhooks")

USER_AGENT = "Reservoir-Webhooks/1"
RETRYABLE_STATUS = {408, 425, 429}


@dataclass
class Outcome:
    status: int | None
    body: str
    error: str
    duration_ms: int
    retry_after: float | None


def valid_secrets(webhook: Webhook) -> list[str]:
    valid = [webhook.secret]
    if (
        webhook.previous_secret
        and webhook.previous_secret_expires_at
        and webhook.previous_secret_expires_at > timezone.now()
    ):
        valid.append(webhook.previous_secret)
    return valid


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
        except (TypeError, ValueError):
            return None


def build_request(webhook: Webhook, delivery: Delivery) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.event.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {str(k): str(v) for k, v in (webhook.headers or {}).items()}
    headers.update(
        {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **signing.headers(valid_secrets(webhook), str(delivery.event_id), timestamp, body),
        }
    )
    if webhook.legacy_signature:
        headers["X-Webhook-Signature"] = signing.legacy_signature(webhook.secret, body)
    return body, headers


class PinnedHostAdapter(HTTPAdapter):
    """Connects to the address already checked, while TLS still verifies the certificate (and sends
    SNI) for the webhook's host name."""

    def __init__(self, hostname: str):
        super().__init__()
        self.hostname = hostname

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.hostname
            pool_kwargs["assert_hostname"] = self.hostname
        return host_params, pool_kwargs


_sessions = threading.local()
MAX_SESSIONS_PER_THREAD = 64


def _session_for(scheme: str, address: str, hostname: str, port) -> requests.Session:
    """One session per destination and worker thread, so consecutive deliveries to a receiver reuse
    its keep-alive connection instead of a new TCP (and TLS) handshake each. Keyed by the address
    just checked: a name that resolves elsewhere now gets a new session, never the old connection."""
    cache = getattr(_sessions, "by_destination", None)
    if cache is None:
        cache = _sessions.by_destination = OrderedDict()
    key = (scheme, address, hostname, port)
    session = cache.get(key)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment may re-resolve the name
        adapter = PinnedHostAdapter(hostname)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        cache[key] = session
        while len(cache) > MAX_SESSIONS_PER_THREAD:
            cache.popitem(last=False)[1].close()
    cache.move_to_end(key)
    return session


def _pinned(url: str) -> tuple[str, str, requests.Session]:
    """(the URL with the checked address in place of the name, the Host header, a session that
    verifies TLS for the name): resolution happens once, here, and is checked."""
    parts = urlsplit(url)
    address = safety.pinned_address(url)  # again now: DNS may have changed since the webhook was saved
    literal = f"[{address}]" if ":" in address else address
    port = f":{parts.port}" if parts.port else ""
    session = _session_for(parts.scheme, address, parts.hostname, parts.port)
    host = parts.hostname + port
    return urlunsplit((parts.scheme, literal + port, parts.path or "/", parts.query, "")), host, session


def post(webhook: Webhook, body: bytes, headers: dict[str, str]) -> Outcome:
    started = time.perf_counter()
    try:
        url, host, session = _pinned(webhook.url)
        with session.post(
            url,
            data=body,
            headers={**headers, "Host": host},
            timeout=(min(5, webhook.timeout_seconds), webhook.timeout_seconds),
            allow_redirects=False,
            stream=True,
        ) as response:
            limit = settings.WEBHOOK_MAX_RESPONSE_BYTES
            content = response.raw.read(limit, decode_content=True) or b""
            return Outcome(
                status=response.status_code,
                body=content[:limit].decode("utf-8", "replace"),
                error="",
                duration_ms=int((time.perf_counter() - started) * 1000),
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
    except ValidationError as exc:
        return Outcome(None, "", f"Refused by outbound safety: {' '.join(exc.messages)}"[:500], 0, None)
    except requests.RequestException as exc:
        return Outcome(
            None, "", f"{type(exc).__name__}: {exc}"[:500], int((time.perf_counter() - started) * 1000), None
        )


def retry_delay(attempt: int, retry_after: float | None) -> float | None:
    """Seconds until the next try (exponential schedule with jitter), None when out of tries."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempt > len(schedule):
        return None
    base = schedule[attempt - 1]
    delay = base * random.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, schedule[-1]))
    return delay


def _column(name: str) -> str:
    return Delivery._meta.get_field(name).column


# The next undone delivery of each (webhook, subject), after the one just settled: one statement
# for a whole batch.
_NEXT_IN_LINE = f"""
SELECT DISTINCT ON (v.webhook, v.subject) d.id
FROM unnest(%(after)s::bigint[], %(webhooks)s::bigint[], %(subjects)s::text[]) AS v(after, webhook, subject)
JOIN {Delivery._meta.db_table} d
  ON d.{_column("webhook")} = v.webhook AND d.{_column("ordering_key")} = v.subject
 AND d.id > v.after AND d.{_column("status")} = %(pending)s
ORDER BY v.webhook, v.subject, d.id
"""  # noqa: S608 - names from the model; every value is a parameter


def wake_next_in_line(deliveries: list[Delivery]) -> None:
    """After commit: hand the next delivery of each one's subject to a worker (the sweeper would
    find it too, seconds later)."""
    keyed = [d for d in deliveries if d.ordering_key]
    if not keyed:
        return
    params = {
        "after": [d.pk for d in keyed],
        "webhooks": [d.webhook_id for d in keyed],
        "subjects": [d.ordering_key for d in keyed],
        "pending": DeliveryStatus.PENDING,
    }
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_IN_LINE, params)
        following = [row[0] for row in cursor.fetchall()]

    def send():
        for pk in following:
            if not broker.send(DELIVER, (pk,)):
                return  # broker down: the sweeper sends them

    if following:
        transaction.on_commit(send)


def succeeded(outcome: Outcome) -> bool:
    return outcome.status is not None and 200 <= outcome.status < 300


def _settle(delivery: Delivery, number: int, started, body: bytes, headers: dict, outcome: Outcome):
    """The attempt row (unsaved) and the delivery's new state (set on it, unsaved): done, retry
    later, or give up. Returns (attempt, seconds until the retry or None)."""
    webhook = delivery.webhook
    now = timezone.now()
    ok = succeeded(outcome)
    retryable = outcome.status is None or outcome.status >= 500 or outcome.status in RETRYABLE_STATUS
    refused_by_safety = outcome.error.startswith("Refused by outbound safety")
    next_delay = None if ok or not retryable or refused_by_safety else retry_delay(number, outcome.retry_after)
    next_retry_at = now + timedelta(seconds=next_delay) if next_delay is not None else None
    attempt = DeliveryAttempt(
        delivery=delivery,
        number=number,
        started=started,
        request_headers={k: v for k, v in headers.items() if k.lower() not in {h.lower() for h in webhook.headers}},
        request_body=body.decode(),
        response_status=outcome.status,
        response_body=outcome.body,
        duration_ms=outcome.duration_ms,
        error=outcome.error,
        next_retry_at=next_retry_at,
        succeeded=ok,
    )
    delivery.attempts = number
    delivery.last_status_code = outcome.status
    delivery.last_error = outcome.error or ("" if ok else f"HTTP {outcome.status}")
    delivery.lease_until = None
    if ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
    elif next_retry_at is not None:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = next_retry_at
    else:
        delivery.status = DeliveryStatus.FAILED
    return attempt, next_delay


SETTLED_FIELDS = ["attempts", "last_status_code", "last_error", "lease_until", "status", "delivered_at"]


def _log_attempt(delivery: Delivery, number: int, outcome: Outcome, next_retry_at=None) -> None:
    ok = succeeded(outcome)
    logger.log(
        logging.INFO if ok else logging.WARNING,
        "Webhook %s: %s of event %s attempt %d -> %s in %s ms%s",
        delivery.webhook.name,
        delivery.status,
        delivery.event_id,
        number,
        outcome.status or outcome.error,
        outcome.duration_ms,
        f", retry at {next_retry_at.isoformat()}" if next_retry_at else "",
        extra={
            "webhook_id": delivery.webhook_id,
            "delivery_id": delivery.pk,
            "event_id": str(delivery.event_id),
            "status_code": outcome.status,
            "duration_ms": outcome.duration_ms,
        },
    )


def record(delivery: Delivery, number: int, started, body: bytes, headers: dict, outcome: Outcome) -> None:
    """Store the attempt and decide what comes next: done, retry later, or give up."""
    webhook = delivery.webhook
    attempt, next_delay = _settle(delivery, number, started, body, headers, outcome)
    ok = succeeded(outcome)
    with transaction.atomic():
        attempt.save()
        delivery.save(update_fields=SETTLED_FIELDS + ([] if ok else ["next_attempt_at"]))
        if ok:
            # The common case writes nothing here and takes no lock on the webhook's row (which
            # would make a webhook's parallel deliveries wait for each other).
            Webhook.objects.filter(pk=webhook.pk, consecutive_failures__gt=0).update(consecutive_failures=0)
        elif outcome.status == 410 or delivery.status == DeliveryStatus.FAILED:
            hook = Webhook.objects.select_for_update().get(pk=webhook.pk)
            if outcome.status == 410:
                _disable(hook, "The receiver answered 410 Gone.")
            else:
                hook.consecutive_failures += 1
                hook.save(update_fields=["consecutive_failures"])
                if hook.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILED_EVENTS:
                    _disable(hook, f"{hook.consecutive_failures} events in a row could not be delivered.")
        if delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED):
            wake_next_in_line([delivery])
    _log_attempt(delivery, number, outcome, attempt.next_retry_at)
    if next_delay is not None:
        transaction.on_commit(lambda: DELIVER.apply_async((delivery.pk,), countdown=next_delay))


# A batch's successes in one UPDATE (Django's bulk_update writes a CASE per field and row, which
# was half of a worker's time); the same fields `_settle` sets on a success.
_SUCCEEDED = f"""
UPDATE {Delivery._meta.db_table} d
SET {_column("attempts")} = v.attempts, {_column("last_status_code")} = v.code, {_column("last_error")} = v.error,
    {_column("lease_until")} = NULL, {_column("status")} = %(succeeded)s, {_column("delivered_at")} = v.at
FROM unnest(%(ids)s::bigint[], %(attempts)s::int[], %(codes)s::int[], %(errors)s::text[], %(at)s::timestamptz[])
  AS v(id, attempts, code, error, at)
WHERE d.id = v.id
"""  # noqa: S608 - names from the model; every value is a parameter


def record_succeeded(sent: list[tuple[Delivery, int, object, bytes, dict, Outcome]]) -> None:
    """The successes of a batch, stored together: their attempt rows in one INSERT, their new state
    in one UPDATE, each webhook's failure count cleared once (what `record` does for one)."""
    if not sent:
        return
    attempts = []
    for delivery, number, started, body, headers, outcome in sent:
        attempts.append(_settle(delivery, number, started, body, headers, outcome)[0])
    deliveries = [delivery for delivery, *_ in sent]
    params = {
        "succeeded": DeliveryStatus.SUCCEEDED,
        "ids": [d.pk for d in deliveries],
        "attempts": [d.attempts for d in deliveries],
        "codes": [d.last_status_code for d in deliveries],
        "errors": [d.last_error for d in deliveries],
        "at": [d.delivered_at for d in deliveries],
    }
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(attempts)
        with connection.cursor() as cursor:
            cursor.execute(_SUCCEEDED, params)
        hooks = {d.webhook_id for d in deliveries}
        Webhook.objects.filter(pk__in=hooks, consecutive_failures__gt=0).update(consecutive_failures=0)
        wake_next_in_line(deliveries)
    for delivery, number, _, _, _, outcome in sent:
        _log_attempt(delivery, number, outcome)


def _disable(hook: Webhook, reason: str) -> None:
    hook.enabled = False
    hook.disabled_reason = reason
    hook.save(update_fields=["enabled", "disabled_reason"])
    Delivery.objects.filter(webhook=hook, status=DeliveryStatus.PENDING).update(status=DeliveryStatus.CANCELLED)
    audit.record(
        action="webhook.disabled",
        instance=hook,
        site_id=hook.site_id,
        severity=Severity.WARNING,
        message=reason,
    )
    admins = Membership.objects.filter(site_id=hook.site_id, role=Role.ADMIN).select_related("user")
    for membership in admins:
        notify(
            user=membership.user,
            kind="webhook.disabled",
            title=f"Webhook {hook.name} was disabled",
            body=reason,
            url=f"/webhooks/{hook.pk}/",
        )
