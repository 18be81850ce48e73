"""`Authorization: Bearer <token>` for the API: a personal API token or a Keycloak access token."""

import contextlib
import datetime

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError
from rest_framework import authentication, exceptions

from audit import services as audit
from audit.models import Severity
from common.request_context import request_memo
from tenancy import access

from . import token_lookup, tokens
from .login_limits import InvalidTokenThrottle
from .models import ApiToken
from .oidc import jwt as oidc_jwt
from .oidc import userinfo as oidc_userinfo
from .oidc.backend import KeycloakBackend

LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _refuse(message: str, detail: str):
    audit.record(action="auth.login_failed", severity=Severity.WARNING, message=message)
    return exceptions.AuthenticationFailed(detail)


def user_for_api_token(raw: str):
    found = token_lookup.token_by_digest(tokens.digest(raw))
    if found is None:
        raise _refuse("Unknown API token presented.", "Invalid token.")
    token, site_roles = found
    if not token.is_usable:
        raise _refuse(f"Revoked or expired API token {token.prefix}… of {token.user}.", "Token revoked or expired.")
    if not token.user.is_active:
        raise _refuse(f"API token of inactive user {token.user}.", "User inactive.")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # One write a minute per token at most: busy scripts must not turn every read into a write.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    access.remember_site_roles(token.user, site_roles)
    return token.user


def _access_token_claims(raw: str) -> dict:
    if oidc_jwt.looks_like_jwt(raw):
        try:
            return oidc_jwt.verify_access_token(raw)
        except jwt.PyJWTError as exc:
            raise _refuse(f"Rejected access token: {exc}", f"Invalid access token: {exc}") from exc
    try:
        return oidc_userinfo.claims_for(raw)
    except oidc_userinfo.TokenRefused as exc:
        raise _refuse(f"Rejected access token: {exc}", f"Invalid access token: {exc}") from exc


def user_for_access_token(raw: str):
    """The provider's user, with the provider's roles and site groups applied again (at most once
    per OIDC_TOKEN_CACHE_SECONDS and token): a group removed in Keycloak is gone at the next token."""
    if not settings.OIDC_ENABLED:
        raise _refuse("Bearer access token presented but OIDC is not configured.", "Invalid token.")
    claims = _access_token_claims(raw)

    User = get_user_model()
    user = User.objects.filter(profile__oidc_subject=claims["sub"]).first()
    mapped_key = "oidc-mapped:" + tokens.digest(raw)
    if user is None:
        with transaction.atomic():
            user = KeycloakBackend().create_user(claims)
        _remember(mapped_key)
    elif user.is_active and not _remembered(mapped_key):
        user = KeycloakBackend().update_user(user, claims)
        _remember(mapped_key)
    if not user.is_active:
        raise _refuse(f"Access token of inactive user {user}.", "User inactive.")
    return user


def _remembered(key: str) -> bool:
    try:
        return cache.get(key) is not None
    except RedisError:
        return False


def _remember(key: str) -> None:
    with contextlib.suppress(RedisError):
        cache.set(key, 1, settings.OIDC_TOKEN_CACHE_SECONDS)


class BearerAuthentication(authentication.BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <token>'.")
        raw = parts[1].decode("latin-1")
        try:
            user = user_for_api_token(raw) if tokens.looks_like_token(raw) else user_for_access_token(raw)
        except exceptions.AuthenticationFailed:
            # Only a token that is not valid is slowed down: a valid credential is never refused by
            # the address throttle, so one script with an expired token behind a shared NAT or proxy
            # cannot lock everyone else at that address out of the API.
            throttle = InvalidTokenThrottle()
            throttle.refuse_if_over(request)
            throttle.record_failure(request)
            raise
        memo = request_memo()
        if memo is not None:
            memo["user_id"] = user.pk  # for the log lines of this request
        return user, raw

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
