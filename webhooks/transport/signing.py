"""Standard Webhooks signatures (https://www.standardwebhooks.com): what we send, and `verify`,
which receivers (and our inbound callbacks) use.

    webhook-id:        the event id, the same on every retry
    webhook-timestamp: seconds since the epoch
    webhook-signature: "v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>", space-separated when
                       several secrets are valid (during a rotation)
"""

import base64
import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"  # noqa: S105 - a public marker of the format


class InvalidSignature(Exception):
    pass


def generate_secret(size: int = 32) -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(size)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def legacy_signature(secret: str, body: bytes) -> str:
    """X-Webhook-Signature for receivers written for the earlier system: HMAC of the raw body."""
    return base64.b64encode(hmac.new(_key(secret), body, hashlib.sha256).digest()).decode()


def headers(secrets_: list[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, message_id, timestamp, body) for s in secrets_),
    }


def verify(secret: str, headers: dict, body: bytes, *, tolerance: int = 300, now: float | None = None) -> None:
    """Raises InvalidSignature unless one v1 signature matches and the timestamp is within
    `tolerance` seconds of now (replays of old messages are refused)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        message_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        signatures = lowered["webhook-signature"].split()
    except (KeyError, ValueError) as exc:
        raise InvalidSignature("Missing or malformed webhook-id, webhook-timestamp or webhook-signature.") from exc
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise InvalidSignature("The timestamp is too old or too far in the future.")
    expected = sign(secret, message_id, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignature("No signature matches.")


def verify_any(secrets_: list[str], headers: dict, body: bytes, *, tolerance: int = 300) -> None:
    """Like verify, accepting any of several valid secrets (during a rotation)."""
    error = InvalidSignature("No secret configured.")
    for secret in secrets_:
        try:
            verify(secret, headers, body, tolerance=tolerance)
            return
        except InvalidSignature as exc:
            error = exc
    raise error
