"""Keycloak access tokens presented to the API: verified against the issuer's JWKS."""

import threading

import jwt
from django.conf import settings

from . import discovery

_clients: dict[str, jwt.PyJWKClient] = {}
_lock = threading.Lock()
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


def _jwks_client() -> jwt.PyJWKClient:
    uri = discovery.endpoint("jwks_uri")
    with _lock:
        if uri not in _clients:
            _clients[uri] = jwt.PyJWKClient(uri, cache_keys=True, lifespan=300, timeout=settings.OIDC_TIMEOUT)
        return _clients[uri]


def signing_key(token: str) -> jwt.PyJWK:
    """The provider key that signed `token`, by its kid; a token without kid (allowed when the
    provider has a single key) gets that single key."""
    client = _jwks_client()
    if jwt.get_unverified_header(token).get("kid"):
        return client.get_signing_key_from_jwt(token)
    keys = client.get_signing_keys()
    if len(keys) != 1:
        raise jwt.InvalidTokenError("The token names no key (kid) and the provider has several.")
    return keys[0]


ACCESS_TOKEN_HEADER_TYPES = {"at+jwt", "application/at+jwt"}  # RFC 9068


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def verify_access_token(token: str) -> dict:
    """verify(), and only an access token issued to one of our clients: Keycloak marks it
    `"typ": "Bearer"` (an ID token says "ID"), RFC 9068 providers `typ: at+jwt` in the header; `azp`,
    when present, is in OIDC_API_CLIENTS. An ID token (also sent in logout URLs) is no credential."""
    claims = verify(token)
    header_type = str(jwt.get_unverified_header(token).get("typ", "")).lower()
    if claims.get("typ") != "Bearer" and header_type not in ACCESS_TOKEN_HEADER_TYPES:
        raise jwt.InvalidTokenError("only access tokens are accepted (this is not one; an ID token?)")
    if "azp" in claims and claims["azp"] not in settings.OIDC_API_CLIENTS:
        raise jwt.InvalidTokenError(f"issued to client {claims['azp']!r}, which may not call this API")
    return claims


def verify(token: str) -> dict:
    """The token's claims if signature, issuer, audience and expiry check out; raises jwt errors."""
    key = signing_key(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=ALGORITHMS,
        audience=settings.OIDC_API_AUDIENCE,
        issuer=settings.OIDC_ISSUER,
        options={"require": ["exp", "iss", "sub", "aud"]},
        leeway=settings.OIDC_CLOCK_SKEW,
    )


BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def verify_logout_token(token: str) -> dict:
    """OpenID Connect Back-Channel Logout 1.0, section 2.6: signed by the provider, for our client,
    with the logout event, a subject, and no nonce (so no ID token can pass for one)."""
    key = signing_key(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=ALGORITHMS,
        audience=settings.OIDC_RP_CLIENT_ID,
        issuer=settings.OIDC_ISSUER,
        options={"require": ["iss", "aud", "iat"]},  # exp is optional here, and checked when present
        leeway=settings.OIDC_CLOCK_SKEW,
    )
    if BACKCHANNEL_LOGOUT_EVENT not in (claims.get("events") or {}):
        raise jwt.InvalidTokenError("not a logout token: the back-channel logout event is missing")
    if "nonce" in claims:
        raise jwt.InvalidTokenError("a logout token carries no nonce")
    if not claims.get("sub"):
        raise jwt.InvalidTokenError("the logout token names no subject (sub); Reservoir ends sessions per user")
    return claims
