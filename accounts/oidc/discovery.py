"""The provider's endpoints, from its discovery document (cached; refetched after a TTL)."""

import threading
import time

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_lock = threading.Lock()
_cache: dict[str, tuple[float, dict]] = {}

# mozilla-django-oidc setting name -> discovery document key
ENDPOINT_SETTINGS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def metadata() -> dict:
    issuer = settings.OIDC_ISSUER
    if not issuer:
        raise ImproperlyConfigured("OIDC_ISSUER is not set.")
    with _lock:
        cached = _cache.get(issuer)
        if cached and time.monotonic() - cached[0] < settings.OIDC_DISCOVERY_TTL:
            return cached[1]
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    document = response.json()
    with _lock:
        _cache[issuer] = (time.monotonic(), document)
    return document


def endpoint(key: str) -> str | None:
    return metadata().get(key)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
