"""Identities follow the provider between logins: the sync (beat) and back-channel logout, against a
real OpenID Connect provider process. The mock provider cannot send back-channel logouts itself, so
those tests sign logout tokens with a key published by a small issuer in front of it."""

import datetime
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts import services
from accounts.models import ApiToken, ProviderGrant
from accounts.oidc import discovery, sync
from audit.models import AuditEntry
from tests.accounts.test_oidc import sso_login
from tests.factories import SiteFactory
from tests.oidc_provider import keycloak_claims, start_provider

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def sites():
    return {slug: SiteFactory(name=slug.capitalize(), slug=slug) for slug in ("berlin", "boston")}


def signed_in(client, provider, sub, **claims):
    provider.set_user(sub, **claims)
    response = sso_login(client, provider, sub)
    assert response.status_code == 302 and response["Location"] == "/profile/"
    return User.objects.get(profile__oidc_subject=sub)


def make_due(user):
    ProviderGrant.objects.filter(user=user).update(checked_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))


def revoke_at_provider(provider, sub):
    """What disabling or deleting the user in Keycloak does to their grants."""
    requests.post(f"{provider.issuer}/users/{sub}/revoke-tokens", timeout=10).raise_for_status()


def personal_token(user):
    _, secret = services.api_token_create(actor=user, user=user, name="script")
    return secret


def test_an_sso_login_keeps_the_providers_refresh_token_encrypted(client, oidc, sites):
    user = signed_in(client, oidc, "kc-ada", **keycloak_claims("ada"))
    grant = ProviderGrant.objects.get(user=user)
    assert grant.refresh_token and grant.refused_at is None
    from accounts.oidc import grants

    token = grants.unseal(grant.refresh_token)
    assert token and token not in grant.refresh_token


def test_the_sync_applies_group_changes_made_in_the_provider_without_a_login(client, oidc, sites):
    user = signed_in(client, oidc, "kc-ben", **keycloak_claims("ben", groups=["/sites/berlin/admins"]))
    assert dict(user.memberships.values_list("site__slug", "role")) == {"berlin": "admin"}
    oidc.set_user("kc-ben", **keycloak_claims("ben", groups=["/sites/boston"]))
    assert sync.check_due() == {sync.KEPT: 0, sync.CUT_OFF: 0, sync.UNDECIDED: 0}  # checked at login: not due
    make_due(user)
    assert sync.check_due()[sync.KEPT] == 1
    assert dict(user.memberships.values_list("site__slug", "role")) == {"boston": "member"}


def test_a_user_the_provider_drops_loses_sessions_and_tokens_at_the_next_sync(client, oidc, sites, api_for):
    user = signed_in(client, oidc, "kc-cid", **keycloak_claims("cid", groups=["/sites/berlin"]))
    secret = personal_token(user)
    assert api_for().get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    assert client.get("/profile/").status_code == 200

    revoke_at_provider(oidc, "kc-cid")
    make_due(user)
    assert sync.check_due()[sync.CUT_OFF] == 1

    user.refresh_from_db()
    assert not user.is_active
    assert client.get("/profile/").status_code == 302  # the browser session is gone
    response = api_for().get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert ApiToken.objects.get(user=user).revoked_at is not None
    entry = AuditEntry.objects.get(action="user.deactivated", object_id=str(user.pk))
    assert "invalid_grant" in entry.message and "1 API token revoked" in entry.message
    assert ProviderGrant.objects.get(user=user).refused_at is not None


def test_signing_in_again_restores_a_user_the_provider_had_dropped(client, oidc, sites):
    user = signed_in(client, oidc, "kc-dee", **keycloak_claims("dee"))
    revoke_at_provider(oidc, "kc-dee")
    make_due(user)
    sync.check_due()
    client.logout()
    user = signed_in(client, oidc, "kc-dee", **keycloak_claims("dee"))
    assert user.is_active
    assert ProviderGrant.objects.get(user=user).refused_at is None


def test_an_unreachable_provider_decides_nothing(client, oidc, sites, settings):
    provider = start_provider()
    try:
        settings.OIDC_ISSUER = provider.issuer
        discovery.clear_cache()
        user = signed_in(client, provider, "kc-eve", **keycloak_claims("eve"))
    finally:
        provider.process.terminate()
        provider.process.wait(10)
    make_due(user)
    assert sync.check_due()[sync.UNDECIDED] == 1
    user.refresh_from_db()
    assert user.is_active
    grant = ProviderGrant.objects.get(user=user)
    assert grant.refused_at is None and "unreachable" in grant.last_error


def test_an_administrator_deactivation_ends_sso_sessions(client, oidc, sites, admin_user):
    user = signed_in(client, oidc, "kc-fin", **keycloak_claims("fin"))
    services.user_set_active(actor=admin_user, user=user, is_active=False)
    assert client.get("/profile/").status_code == 302


def test_the_command_checks_one_user_now_and_beat_runs_the_sync(client, oidc, sites, capsys):
    signed_in(client, oidc, "kc-gabe", **keycloak_claims("gabe"))
    call_command("oidc_sync", user="gabe")
    assert "gabe: kept" in capsys.readouterr().out
    assert django_settings.CELERY_BEAT_SCHEDULE["oidc-sync"]["task"] == "accounts.tasks.sync_with_provider"


# --- Back-channel logout -------------------------------------------------------------------------


class Issuer:
    """An issuer that publishes its own signing key and hands tokens and userinfo to the real provider."""

    def __init__(self, provider):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "logout-test"
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        upstream = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=10).json()
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {**upstream, "issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks"}
                elif self.path == "/jwks":
                    body = {"keys": [{**jwk, "kid": issuer.kid, "use": "sig", "alg": "RS256"}]}
                else:
                    self.send_error(404)
                    return
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def logout_token(self, subject, **overrides):
        claims = {
            "iss": self.url,
            "aud": "reservoir",
            "iat": int(time.time()),
            "exp": int(time.time()) + 120,
            "jti": str(uuid.uuid4()),
            "sub": subject,
            "sid": "session-1",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
            **overrides,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid, "typ": "logout+jwt"})


@pytest.fixture
def issuer(oidc, settings):
    issuer = Issuer(oidc)
    yield issuer
    issuer.server.shutdown()
    discovery.clear_cache()


def use(issuer, settings):
    settings.OIDC_ISSUER = issuer.url
    discovery.clear_cache()


def backchannel(client, token):
    return client.post("/oidc/backchannel-logout/", {"logout_token": token})


def test_a_backchannel_logout_ends_the_users_sessions_but_keeps_a_user_the_provider_vouches_for(
    client, oidc, sites, issuer, settings, api_for
):
    user = signed_in(client, oidc, "kc-hal", **keycloak_claims("hal"))
    secret = personal_token(user)
    use(issuer, settings)
    from django.test import Client

    response = backchannel(Client(), issuer.logout_token("kc-hal"))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"].startswith("max-age=0")
    assert client.get("/profile/").status_code == 302
    user.refresh_from_db()
    assert user.is_active
    assert api_for().get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_a_backchannel_logout_of_a_user_the_provider_dropped_cuts_them_off_at_once(
    client, oidc, sites, issuer, settings, api_for
):
    user = signed_in(client, oidc, "kc-ida", **keycloak_claims("ida"))
    secret = personal_token(user)
    revoke_at_provider(oidc, "kc-ida")
    use(issuer, settings)
    from django.test import Client

    assert backchannel(Client(), issuer.logout_token("kc-ida")).status_code == 200
    user.refresh_from_db()
    assert not user.is_active
    assert api_for().get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert client.get("/profile/").status_code == 302


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"events": None}, "event is missing"),
        ({"nonce": "n-1"}, "no nonce"),
        ({"aud": "another-client"}, "audience"),
        ({"sub": None}, "no subject"),
        ({"iss": "http://elsewhere.example"}, "issuer"),
        ({"exp": int(time.time()) - 3600}, "expired"),
    ],
)
def test_a_logout_token_that_does_not_check_out_is_refused(client, oidc, sites, issuer, settings, overrides, reason):
    user = signed_in(client, oidc, "kc-jo", **keycloak_claims("jo"))
    use(issuer, settings)
    from django.test import Client

    response = backchannel(Client(), issuer.logout_token("kc-jo", **overrides))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request" and reason in response.json()["error_description"].lower()
    assert client.get("/profile/").status_code == 200
    user.refresh_from_db()
    assert user.is_active


def test_a_logout_token_signed_by_another_key_is_refused(client, oidc, sites, issuer, settings):
    signed_in(client, oidc, "kc-kim", **keycloak_claims("kim"))
    use(issuer, settings)
    forged = Issuer(oidc)
    forged.kid = issuer.kid
    try:
        from django.test import Client

        response = backchannel(Client(), forged.logout_token("kc-kim", iss=issuer.url))
    finally:
        forged.server.shutdown()
    assert response.status_code == 400
    assert client.get("/profile/").status_code == 200
