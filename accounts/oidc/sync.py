"""Keeping Reservoir's users in step with the identity provider between their logins.

Each SSO login leaves the provider's (offline) refresh token in a ProviderGrant. The sync uses it:
- the provider answers with new tokens: the user's current roles and site groups are applied, so
  a group removed in Keycloak is gone within OIDC_SYNC_MINUTES even for a user who never logs in;
- the provider refuses it (`invalid_grant`: user disabled or deleted, offline session revoked):
  the user is cut off at once (sessions ended, personal API tokens revoked, audited);
- anything else (provider down, our client misconfigured) decides nothing and is retried.
Keycloak keeps an offline session alive as long as it is refreshed, so a user who merely does not
log in is never cut off by the sync (request `offline_access`, see OIDC_RP_SCOPES)."""

import datetime
import logging

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.models import ProviderGrant

from . import discovery, grants
from . import jwt as oidc_jwt
from .backend import KeycloakBackend

logger = logging.getLogger(__name__)

KEPT, CUT_OFF, UNDECIDED = "kept", "cut off", "undecided"


def _refresh(refresh_token: str) -> requests.Response:
    return requests.post(
        discovery.endpoint("token_endpoint"),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        # HTTP Basic: the client authentication every provider must accept (RFC 6749, 2.3.1)
        auth=(settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET),
        timeout=settings.OIDC_TIMEOUT,
    )


def _current_claims(tokens: dict) -> dict:
    payload = {}
    if tokens.get("id_token"):
        payload = oidc_jwt.verify(tokens["id_token"])
    return KeycloakBackend().get_userinfo(tokens["access_token"], tokens.get("id_token"), payload)


def _undecided(grant: ProviderGrant, why: str) -> str:
    grant.checked_at = timezone.now()
    grant.last_error = why[:300]
    grant.save(update_fields=["checked_at", "last_error"])
    logger.warning("Provider grant of %s not checked: %s", grant.user, why)
    return UNDECIDED


def check(grant: ProviderGrant) -> str:
    """Asks the provider about one grant (locked by the caller): KEPT, CUT_OFF or UNDECIDED."""

    user = grant.user
    refresh_token = grants.unseal(grant.refresh_token)
    if refresh_token is None:
        return _undecided(grant, "sealed under another SECRET_KEY; renewed at the next login")
    try:
        response = _refresh(refresh_token)
    except requests.RequestException as exc:
        return _undecided(grant, f"provider unreachable: {exc}")
    if response.status_code == 400 and _error_code(response) == "invalid_grant":
        grant.checked_at = grant.refused_at = timezone.now()
        grant.last_error = f"refused by the provider: {_error_text(response)}"[:300]
        grant.save(update_fields=["checked_at", "refused_at", "last_error"])
        if user.is_active:
            services.user_cut_off_by_provider(user=user, reason=f"the identity provider {grant.last_error}")
        return CUT_OFF
    if response.status_code != 200:
        return _undecided(grant, f"token endpoint answered {response.status_code}: {_error_text(response)}")
    tokens = response.json()
    try:
        claims = _current_claims(tokens)
    except Exception as exc:  # noqa: BLE001 - any failure to read the answer decides nothing
        return _undecided(grant, f"could not read the provider's answer: {exc}")
    if user.is_active:
        KeycloakBackend().update_user(user, claims)
    grant.refresh_token = grants.seal(tokens.get("refresh_token") or refresh_token)
    grant.checked_at = timezone.now()
    grant.last_error = ""
    grant.save(update_fields=["refresh_token", "checked_at", "last_error"])
    return KEPT


def _error_code(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", ""))
    except ValueError:
        return ""


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return " - ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))


def check_user(user) -> str | None:
    """Checks one user now (after a back-channel logout); None when they have no grant."""
    with transaction.atomic():
        grant = (
            ProviderGrant.objects.select_for_update().select_related("user").filter(user=user, refused_at=None).first()
        )
        return check(grant) if grant is not None else None


def check_due(*, limit: int | None = None) -> dict[str, int]:
    """Checks the grants not asked about for OIDC_SYNC_MINUTES, oldest first; one grant per short
    transaction, skipping grants another worker holds (a refresh token is used by one at a time,
    since providers that rotate them would refuse the second use)."""
    results = {KEPT: 0, CUT_OFF: 0, UNDECIDED: 0}
    if not settings.OIDC_ENABLED:
        return results
    due_before = timezone.now() - datetime.timedelta(minutes=settings.OIDC_SYNC_MINUTES)
    limit = limit or settings.OIDC_SYNC_BATCH
    for _ in range(limit):
        with transaction.atomic():
            grant = (
                ProviderGrant.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(refused_at=None, checked_at__lt=due_before)
                .order_by("checked_at")
                .first()
            )
            if grant is None:
                break
            results[check(grant)] += 1
    return results
