"""`Idempotency-Key` on the creating POSTs, as payment APIs do it: the first answer is kept with the
key, per user, for 24 hours. A retry with the same key and body gets that answer again (marked
`Idempotent-Replayed: true`) and writes nothing; the same key with another body is a 422. Requests
with one key take turns (a transaction-scoped advisory lock), so two sent at once make one write
and get two equal answers. Answers of 500 and up are not kept: the retry runs again."""

import functools
import hashlib
import json
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from rest_framework.response import Response

from common.exceptions import Unprocessable
from common.models import IdempotentRequest

HEADER = "Idempotency-Key"
KEPT = timedelta(hours=24)
MAX_LENGTH = 255
_LOCK_CLASS = 0x69646D70  # "idmp": its own space of advisory locks


def idempotent(handler):
    """Wrap a viewset's creating handler (`create` or a POST action)."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not 0 < len(key) <= MAX_LENGTH or not key.isprintable():
            raise Unprocessable(
                f"{HEADER} must be 1 to {MAX_LENGTH} printable characters.", code="invalid_idempotency_key"
            )
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_CLASS, f"{request.user.pk}:{key}"]
                )
            kept = IdempotentRequest.objects.filter(user=request.user, key=key).first()
            if kept is not None and kept.created < timezone.now() - KEPT:
                kept.delete()
                kept = None
            if kept is not None:
                if kept.fingerprint != fingerprint:
                    raise Unprocessable(
                        f"This {HEADER} was used for another request (another path or body) in the last 24 hours; "
                        "use a new key for a new request.",
                        code="idempotency_key_reused",
                    )
                return _replay(kept)
            try:
                with transaction.atomic():  # a refusal rolls back to here; the answer is still kept
                    response = handler(view, request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - DRF's own mapping decides what is a refusal
                response = view.handle_exception(exc)  # re-raises what is not a refusal (a bug: 500)
            if response.status_code < 500:
                IdempotentRequest.objects.create(
                    user=request.user,
                    key=key,
                    fingerprint=fingerprint,
                    status=response.status_code,
                    body=json.dumps(response.data, default=str),
                    location=response.get("Location", ""),
                )
            return response

    wrapper.idempotent = True
    return wrapper


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(kept: IdempotentRequest) -> Response:
    response = Response(json.loads(kept.body), status=kept.status)
    response["Idempotent-Replayed"] = "true"
    if kept.location:
        response["Location"] = kept.location
    return response


def forget_expired() -> int:
    """Beat: drop kept answers older than 24 hours; returns how many."""
    return IdempotentRequest.objects.filter(created__lt=timezone.now() - KEPT).delete()[0]
