"""Brute force is limited: password and SSO logins per account and address, invalid API tokens per
address; 429 with Retry-After; lockouts audited."""

import os
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache

from accounts.login_limits import InvalidTokenThrottle
from audit.models import AuditEntry
from tests.accounts.test_oidc import sso_login
from tests.oidc_provider import keycloak_claims

pytestmark = pytest.mark.django_db


def log_in(client, username, password, address):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


class TestPasswordLogins:
    def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(self, client, member, settings):
        member.set_password("right-password")
        member.save()
        statuses = [
            log_in(client, member.username, "wrong", f"10.1.0.{n + 1}").status_code
            for n in range(settings.AXES_FAILURE_LIMIT)
        ]
        assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the form again, then the lock
        locked = log_in(client, member.username, "right-password", "10.1.0.99")
        assert locked.status_code == 429
        assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
        assert b"Too many failed logins" in locked.content
        assert "_auth_user_id" not in client.session
        entry = AuditEntry.objects.filter(action="auth.locked_out").first()
        assert member.username in entry.message and entry.severity == "warning"

    def test_an_address_is_locked_after_failures_on_many_accounts(self, client, member, site_admin, settings):
        site_admin.set_password("admin-password")
        site_admin.save()
        for n in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, f"guess{n}", "wrong", "10.2.0.1")
        assert log_in(client, site_admin.username, "admin-password", "10.2.0.1").status_code == 429
        # Somebody else, somewhere else, is not affected.
        assert log_in(client, site_admin.username, "admin-password", "10.2.0.2").status_code == 302

    def test_a_success_before_the_limit_starts_the_count_again(self, client, member, settings):
        member.set_password("right-password")
        member.save()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            log_in(client, member.username, "wrong", "10.3.0.1")
        assert log_in(client, member.username, "right-password", "10.3.0.1").status_code == 302
        client.logout()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            log_in(client, member.username, "wrong", "10.3.0.1")
        assert log_in(client, member.username, "right-password", "10.3.0.1").status_code == 302

    def test_operators_see_and_reset_lockouts_in_the_admin(self, client, admin_client, member, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, member.username, "wrong", "10.4.0.1")
        page = admin_client.get("/admin/axes/accessattempt/")
        assert page.status_code == 200 and member.username in page.content.decode()


def test_failed_single_sign_on_locks_the_address(client, oidc, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        start = client.get("/oidc/authenticate/", REMOTE_ADDR="10.5.0.1")
        state = parse_qs(urlparse(start["Location"]).query)["state"][0]
        client.get(f"/oidc/callback/?error=access_denied&state={state}", REMOTE_ADDR="10.5.0.1")
    oidc.set_user("kc-erin", **keycloak_claims("erin"))
    client.defaults["REMOTE_ADDR"] = "10.5.0.1"
    assert sso_login(client, oidc, "kc-erin").status_code == 429
    assert AuditEntry.objects.filter(action="auth.locked_out").exists()
    client.defaults["REMOTE_ADDR"] = "10.5.0.2"
    assert sso_login(client, oidc, "kc-erin").status_code == 302


class TestInvalidApiTokens:
    @pytest.fixture
    def three_per_minute(self, monkeypatch):
        monkeypatch.setattr(InvalidTokenThrottle, "THROTTLE_RATES", {"invalid_token": "3/min"})
        address = "10.6.0.1"
        cache.delete(InvalidTokenThrottle().cache_format % {"scope": "invalid_token", "ident": address})
        yield address
        cache.delete(InvalidTokenThrottle().cache_format % {"scope": "invalid_token", "ident": address})

    def test_guessing_tokens_is_answered_429_with_retry_after(self, client, member, three_per_minute):
        bad = {"HTTP_AUTHORIZATION": "Bearer rsv_" + "x" * 40, "REMOTE_ADDR": three_per_minute}
        statuses = [client.get("/api/sites/", **bad).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        refused = client.get("/api/sites/", **bad)
        assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
        assert refused.json()["code"] == "throttled"
        # A valid token from the same address is not refused: guessing is slowed, users are not.
        from accounts import services

        _, token = services.api_token_create(actor=member, user=member, name="t")
        good = client.get("/api/sites/", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=three_per_minute)
        assert good.status_code == 200
        assert client.get("/api/sites/", **bad).status_code == 429  # the guessing still is
        # Other addresses and valid tokens are unaffected; the counter lives in Redis.
        assert (
            client.get("/api/sites/", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR="10.6.0.2").status_code == 200
        )
        assert cache.get(InvalidTokenThrottle().cache_format % {"scope": "invalid_token", "ident": three_per_minute})

    def test_a_hundred_invalid_tokens_do_not_lock_out_a_valid_one_from_the_same_address(self, client, member):
        """Behind one NAT or proxy, a script with an expired token must not lock the others out."""
        address = "10.6.0.9"
        key = InvalidTokenThrottle().cache_format % {"scope": "invalid_token", "ident": address}
        cache.delete(key)
        from accounts import services

        _, token = services.api_token_create(actor=member, user=member, name="t")
        bad = {"HTTP_AUTHORIZATION": "Bearer rsv_" + "y" * 40, "REMOTE_ADDR": address}
        statuses = [client.get("/api/sites/", **bad).status_code for _ in range(100)]
        assert statuses[:30] == [401] * 30 and set(statuses[30:]) == {429}  # 30 a minute by default
        good = client.get("/api/sites/", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=address)
        assert good.status_code == 200
        cache.delete(key)

    def test_valid_tokens_are_not_counted(self, client, member, three_per_minute):
        from accounts import services

        _, token = services.api_token_create(actor=member, user=member, name="t")
        good = {"HTTP_AUTHORIZATION": f"Bearer {token}", "REMOTE_ADDR": three_per_minute}
        assert {client.get("/api/sites/", **good).status_code for _ in range(6)} == {200}


def test_cache_keys_are_namespaced_per_installation_by_default():
    """Two installations on one Redis, each with its own database, do not share throttle counters."""
    code = "from django.conf import settings; print(settings.CACHES['default']['KEY_PREFIX'])"

    def prefix(database: str, **extra) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("RESERVOIR_INSTANCE", "CELERY_BROKER_KEY_PREFIX")}
        env.update(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}", DJANGO_SETTINGS_MODULE="config.settings"
        )
        env.update(extra)
        run = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); " + code], env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    one, other = prefix("reservoir_one"), prefix("reservoir_two")
    assert one != other and "reservoir_one" in one and "reservoir_two" in other
    assert prefix("reservoir_one", RESERVOIR_INSTANCE="lab-a") == "cache:lab-a"
