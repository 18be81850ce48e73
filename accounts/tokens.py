"""Personal API tokens (`rsv_`) and iCalendar feed links (`cal_`): a prefix + 40 random url-safe
characters; only a SHA-256 digest is stored.

A plain hash (not a slow password hash) is right here: the secret has 240 bits of entropy, so
there is nothing to brute-force, and every API request must look it up quickly.
"""

import hashlib
import secrets

TOKEN_PREFIX = "rsv_"  # noqa: S105 - a public marker, not a secret
FEED_PREFIX = "cal_"  # iCalendar feed links: same strength, never an API credential


def generate(prefix: str = TOKEN_PREFIX) -> str:
    return prefix + secrets.token_urlsafe(30)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)
