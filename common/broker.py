"""Handing work to Celery from a request, after commit, without making the request wait on a broker
that is down. One attempt, no publish retries (Celery's default retry policy alone costs 0.6 s);
after a failure the breaker stays open for BROKER_BREAKER_SECONDS, during which nothing is tried at
all. What was not handed over is still in PostgreSQL: the beat sweeper sends it once Redis is back."""

import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_open_until = 0.0


def is_open() -> bool:
    return time.monotonic() < _open_until


def reset() -> None:
    global _open_until
    with _lock:
        _open_until = 0.0


def send(task, args: tuple = (), **options) -> bool:
    """apply_async, or False (logged) when the broker is unreachable or the breaker is open."""
    global _open_until
    if is_open():
        return False
    try:
        task.apply_async(args, retry=False, **options)
        return True
    except (OperationalError, OSError) as exc:
        with _lock:
            _open_until = time.monotonic() + settings.BROKER_BREAKER_SECONDS
        logger.warning(
            "broker unreachable (%s): not sending for %ss, the sweeper will", exc, settings.BROKER_BREAKER_SECONDS
        )
        return False


SWEEP_RESEND_SECONDS = 30


def not_sent_lately(key: str) -> bool:
    """For sweepers: hand a row over at most once per SWEEP_RESEND_SECONDS. Re-sending every due row
    on every run floods the workers after an outage (hundreds pile up each second) and nothing moves.
    Name the row with its creation time too: ids repeat across databases sharing one Redis."""
    try:
        return cache.add(key, 1, SWEEP_RESEND_SECONDS)
    except RedisError:
        return True  # without the cache, send again: the task decides under its row lock
