"""Login through a real OpenID Connect provider process with Keycloak-shaped claims."""

import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.auth import get_user_model

from audit.models import AuditEntry
from tenancy.models import Membership, MembershipSource, Role
from tests.factories import SiteFactory
from tests.oidc_provider import keycloak_claims

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def sites():
    return {slug: SiteFactory(name=slug.capitalize(), slug=slug) for slug in ("berlin", "boston", "paris")}


def sso_login(client, provider, sub: str):
    start = client.get("/oidc/authenticate/?next=/profile/")
    assert start.status_code == 302
    authorize_url = start["Location"]
    query = parse_qs(urlparse(authorize_url).query)
    assert authorize_url.startswith(provider.issuer)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]  # PKCE
    back = provider.authorize(authorize_url, sub)
    callback = urlparse(back)
    assert callback.path == "/oidc/callback/"
    return client.get(f"{callback.path}?{callback.query}")


def test_first_login_creates_the_user_and_maps_roles_and_groups(client, oidc, sites):
    oidc.set_user(
        "kc-alice",
        **keycloak_claims(
            "alice",
            realm_roles=["reservoir-admin"],
            groups=["/sites/berlin/admins", "/sites/boston", "/other/group", "/sites/nowhere"],
        ),
    )
    response = sso_login(client, oidc, "kc-alice")
    assert response.status_code == 302
    assert response["Location"] == "/profile/"

    alice = User.objects.get(profile__oidc_subject="kc-alice")
    assert alice.username == "alice"
    assert alice.email == "alice@example.org"
    assert alice.get_full_name() == "Alice Tester"
    assert alice.is_superuser and alice.is_staff
    assert not alice.has_usable_password()
    assert dict(alice.memberships.values_list("site__slug", "role")) == {"berlin": "admin", "boston": "member"}
    assert set(alice.memberships.values_list("source", flat=True)) == {MembershipSource.OIDC}
    assert client.get("/api/users/me/").json()["username"] == "alice"
    assert AuditEntry.objects.filter(action="auth.login", actor_username="alice").exists()


def test_client_roles_also_grant_global_administration(client, oidc, sites):
    oidc.set_user("kc-carol", **keycloak_claims("carol", client_roles=["reservoir-admin"]))
    sso_login(client, oidc, "kc-carol")
    assert User.objects.get(username="carol").is_superuser


def test_access_removed_in_keycloak_is_removed_at_the_next_login(client, oidc, sites):
    oidc.set_user(
        "kc-bob",
        **keycloak_claims("bob", realm_roles=["reservoir-admin"], groups=["/sites/berlin/admins", "/sites/boston"]),
    )
    sso_login(client, oidc, "kc-bob")
    bob = User.objects.get(username="bob")
    # Granted by hand in Reservoir: kept across logins.
    Membership.objects.create(site=sites["paris"], user=bob, role=Role.MEMBER, source=MembershipSource.LOCAL)

    client.post("/accounts/logout/")
    oidc.set_user("kc-bob", **keycloak_claims("bob", groups=["/sites/boston/admins"]))
    sso_login(client, oidc, "kc-bob")

    bob.refresh_from_db()
    assert not bob.is_superuser
    assert bob.is_staff  # still administers Boston
    assert dict(bob.memberships.values_list("site__slug", "role")) == {"boston": "admin", "paris": "member"}
    assert User.objects.filter(username__startswith="bob").count() == 1  # same account, matched by subject
    changes = AuditEntry.objects.filter(category__in=["membership", "user"], actor_username="").values_list(
        "action", flat=True
    )
    assert {"membership.deleted", "membership.updated", "user.role_changed"} <= set(changes)


def test_logout_ends_the_keycloak_session_too(client, oidc, sites):
    oidc.set_user("kc-dave", **keycloak_claims("dave", groups=["/sites/berlin"]))
    sso_login(client, oidc, "kc-dave")
    id_token = client.session["oidc_id_token"]
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oidc.issuer}/oauth2/end_session"
    query = parse_qs(target.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.logout", actor_username="dave").exists()


def test_a_denied_login_is_refused_and_audited(client, oidc):
    start = client.get("/oidc/authenticate/")
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    response = client.get(f"/oidc/callback/?error=access_denied&state={state}")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?error=sso"
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert "access_denied" in entry.message


def test_a_deactivated_user_cannot_log_in_with_sso(client, oidc, sites):
    oidc.set_user("kc-erin", **keycloak_claims("erin"))
    sso_login(client, oidc, "kc-erin")
    client.post("/accounts/logout/")
    User.objects.filter(username="erin").update(is_active=False)
    response = sso_login(client, oidc, "kc-erin")
    assert response["Location"] == "/accounts/login/?error=sso"


class TestBearerAccessTokens:
    """The provider's access tokens call the API; its ID tokens do not. Its roles and groups are
    applied again for each new token, so a change in Keycloak reaches scripts too."""

    @pytest.fixture(autouse=True)
    def _keep_tokens(self, settings):
        settings.OIDC_STORE_ACCESS_TOKEN = True

    def login(self, client, oidc, sub, **claims):
        oidc.set_user(sub, **claims)
        sso_login(client, oidc, sub)
        return client.session["oidc_access_token"], client.session["oidc_id_token"]

    def me(self, api_for, token):
        return api_for().get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {token}")

    def test_an_access_token_from_the_provider_authenticates_the_api(self, client, oidc, sites, api_for):
        access, _ = self.login(client, oidc, "kc-frank", **keycloak_claims("frank", groups=["/sites/berlin"]))
        response = self.me(api_for, access)
        assert response.status_code == 200, response.content
        assert response.json()["username"] == "frank"
        assert [m["site_slug"] for m in response.json()["memberships"]] == ["berlin"]

    def test_an_id_token_is_no_api_credential(self, client, oidc, sites, api_for):
        _, id_token = self.login(client, oidc, "kc-fay", **keycloak_claims("fay", groups=["/sites/berlin"]))
        response = self.me(api_for, id_token)
        assert response.status_code == 401
        assert "only access tokens" in response.json()["detail"]

    def test_group_changes_in_the_provider_reach_the_api_with_the_next_token(self, client, oidc, sites, api_for):
        first, _ = self.login(client, oidc, "kc-gil", **keycloak_claims("gil", groups=["/sites/berlin/admins"]))
        assert [(m["site_slug"], m["role"]) for m in self.me(api_for, first).json()["memberships"]] == [
            ("berlin", "admin")
        ]
        client.logout()
        second, _ = self.login(client, oidc, "kc-gil", **keycloak_claims("gil", groups=["/sites/boston"]))
        assert [(m["site_slug"], m["role"]) for m in self.me(api_for, second).json()["memberships"]] == [
            ("boston", "member")
        ]

    def test_a_token_revoked_at_the_provider_stops_working(self, client, oidc, sites, api_for, settings):
        settings.OIDC_TOKEN_CACHE_SECONDS = 0
        access, _ = self.login(client, oidc, "kc-gus", **keycloak_claims("gus"))
        assert self.me(api_for, access).status_code == 200
        requests.post(f"{oidc.issuer}/users/kc-gus/revoke-tokens", timeout=10).raise_for_status()
        response = self.me(api_for, access)
        assert response.status_code == 401 and "Invalid access token" in response.json()["detail"]

    def test_a_tampered_token_is_refused(self, client, oidc, sites, api_for):
        _, token = self.login(client, oidc, "kc-gina", **keycloak_claims("gina"))
        header, payload, signature = token.split(".")
        response = self.me(api_for, f"{header}.{payload}.{signature[:-4]}AAAA")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert "Invalid access token" in response.json()["detail"]

    def test_a_token_for_another_audience_is_refused(self, client, oidc, sites, api_for, settings):
        _, token = self.login(client, oidc, "kc-hank", **keycloak_claims("hank"))
        settings.OIDC_API_AUDIENCE = ["some-other-client"]
        response = self.me(api_for, token)
        assert response.status_code == 401
        assert "audience" in response.json()["detail"].lower()

    def test_tokens_of_another_issuer_are_refused(self, client, oidc, sites, api_for, settings):
        _, token = self.login(client, oidc, "kc-ivy", **keycloak_claims("ivy"))
        settings.OIDC_ISSUER = oidc.issuer.replace("127.0.0.1", "localhost")
        from accounts.oidc import discovery

        discovery.clear_cache()
        assert self.me(api_for, token).status_code == 401


def test_an_expired_access_token_is_refused(client, oidc, settings, sites, api_for):
    from accounts.oidc import discovery
    from tests.oidc_provider import start_provider

    short_lived = start_provider(token_max_age=2)
    try:
        settings.OIDC_ISSUER = short_lived.issuer
        settings.OIDC_STORE_ACCESS_TOKEN = True
        settings.OIDC_TOKEN_CACHE_SECONDS = 0
        discovery.clear_cache()
        short_lived.set_user("kc-jo", **keycloak_claims("jo"))
        sso_login(client, short_lived, "kc-jo")
        token = client.session["oidc_access_token"]
        assert api_for().get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
        time.sleep(2.5)  # the provider's clock decides
        response = api_for().get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401
        assert "Invalid access token" in response.json()["detail"]
    finally:
        short_lived.process.terminate()
        short_lived.process.wait(10)


def test_without_oidc_the_sso_endpoints_do_not_exist(client):
    assert client.get("/oidc/authenticate/").status_code == 404
    page = client.get("/accounts/login/").content.decode()
    assert "single sign-on" not in page
    assert 'name="password"' in page


def test_password_login_can_be_switched_off(client, oidc, settings, member):
    settings.LOCAL_LOGIN_ENABLED = False
    settings.AUTHENTICATION_BACKENDS = ["accounts.oidc.backend.KeycloakBackend"]
    page = client.get("/accounts/login/").content.decode()
    assert "Log in with single sign-on" in page
    assert 'name="password"' not in page
    response = client.post("/accounts/login/", {"username": "member", "password": "correct-horse-battery"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
