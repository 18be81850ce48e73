"""Brute force is not free: failed password and single-sign-on logins are limited per account and
per client address (django-axes, attempts kept in PostgreSQL and listed in the admin), presented
API tokens that are not valid per client address (a DRF throttle counting in the Redis cache).
Each answers 429 with Retry-After; lockouts land in the audit log."""

import logging
import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from axes.signals import user_locked_out
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from audit import services as audit
from audit.models import Severity
from common.errors import Refusal
from common.request_context import client_ip

logger = logging.getLogger(__name__)


class LoginLimitBackend(AxesStandaloneBackend):
    """First in AUTHENTICATION_BACKENDS: refuses logins of a locked-out account or address."""

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None  # not a login through the web (a management command): nothing to count
        return super().authenticate(request, username, password, **kwargs)


def lockout_parameters(request_or_attempt, credentials=None) -> list[str]:
    """Per account and per client address; a failed single sign-on names no account, so it counts
    for its address only (all of them under one empty name would lock everyone's SSO out)."""
    username = (credentials or {}).get("username") if credentials else getattr(request_or_attempt, "username", None)
    return ["username", "ip_address"] if username else ["ip_address"]


def _retry_after(request) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds())) if cool_off else 3600


def lockout_response(request, original_response=None, credentials=None):
    seconds = _retry_after(request)
    minutes = math.ceil(seconds / 60)
    refusal = Refusal(429, "locked_out", f"Too many failed logins. Try again in {minutes} minutes.")
    if request.path.startswith("/api/"):
        response = JsonResponse(refusal.body(), status=429)
    else:
        context = {"status": 429, "heading": "Too many failed logins", "message": refusal.message, "back": None}
        response = render(request, "error.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def _audit_lockout(sender, request, username=None, ip_address=None, **kwargs):
    audit.record(
        action="auth.locked_out",
        severity=Severity.WARNING,
        message=f"Logins locked for {_retry_after(request)} s after repeated failures "
        f"(account {username or '-'}, address {ip_address or '-'}).",
    )


class InvalidTokenThrottle(SimpleRateThrottle):
    """Counts only presented tokens that are not valid, per client address (settings:
    DEFAULT_THROTTLE_RATES["invalid_token"]), and refuses only those: past the limit an invalid
    token gets 429 instead of 401, while a valid one from the same address goes through. Fails open
    when Redis is away: a cache outage must not lock every script out; the failures are still audited."""

    scope = "invalid_token"

    def get_ident(self, request):
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _history(self, request) -> list[float]:
        self.key = self.get_cache_key(request)
        try:
            history = self.cache.get(self.key, [])
        except RedisError:
            logger.warning("invalid-token throttle: cache unavailable, not limiting")
            return []
        self.now = self.timer()
        return [moment for moment in history if moment > self.now - self.duration]

    def refuse_if_over(self, request) -> None:
        self.history = self._history(request)
        if len(self.history) >= self.num_requests:
            raise exceptions.Throttled(wait=math.ceil(self.wait() or 1), detail="Too many invalid tokens.")

    def record_failure(self, request) -> None:
        history = [self.timer(), *self._history(request)]
        try:
            self.cache.set(self.key, history[: self.num_requests], self.duration)
        except RedisError:
            logger.warning("invalid-token throttle: cache unavailable, failure not counted")
