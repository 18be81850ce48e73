"""Opaque access tokens (providers that do not issue JWTs): the provider's userinfo endpoint says
whether the token is valid and whose it is. Answers are cached for OIDC_TOKEN_CACHE_SECONDS by the
token's hash, so a busy script costs the provider one call a minute, and a revoked token stops
working within that time."""

import contextlib
import hashlib

import requests
from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from . import discovery


class TokenRefused(Exception):
    pass


def _key(token: str) -> str:
    return "oidc-userinfo:" + hashlib.sha256(token.encode()).hexdigest()


def claims_for(token: str) -> dict:
    try:
        cached = cache.get(_key(token))
    except RedisError:
        cached = None
    if cached is not None:
        return cached
    endpoint = discovery.endpoint("userinfo_endpoint")
    if not endpoint:
        raise TokenRefused("the provider has no userinfo endpoint to check this token")
    try:
        response = requests.get(endpoint, headers={"Authorization": f"Bearer {token}"}, timeout=settings.OIDC_TIMEOUT)
    except requests.RequestException as exc:
        raise TokenRefused(f"the provider could not be asked: {exc}") from exc
    if response.status_code != 200:
        raise TokenRefused(f"the provider does not know this access token ({response.status_code})")
    claims = response.json()
    if not claims.get("sub"):
        raise TokenRefused("the provider named nobody for this token")
    with contextlib.suppress(RedisError):
        cache.set(_key(token), claims, settings.OIDC_TOKEN_CACHE_SECONDS)
    return claims
