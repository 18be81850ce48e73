"""Every HTML page, for every role, with malformed query values and every POST in refusing states:
nothing answers 500 and no redirect leaves the site. The URL patterns come from the resolver, so a
new page is fuzzed without being listed here."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ApiToken, SshKey
from notifications.services import notify
from registry import services as registry_services
from registry.models import Allocation
from reservations import services as booking_services
from reservations.models import Reservation
from resources.models import Resource
from tenancy.models import Site
from webhooks import services as webhook_services
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db

SKIP = ("api/", "admin/", "oidc/", "accounts/logout/", "healthz", "readyz", "metrics")
EVIL = "https://evil.example.net/"
MALFORMED = ["abc", "-1", "0", "99999999999999999999", "2026-02-30", "1e50", "\x00", "' OR 1=1 --", "<b>"]
QUERY_NAMES = [
    "page", "days", "date", "start", "end", "status", "site", "resource", "type", "resource_type", "owner",
    "q", "search", "period", "from", "to", "section", "scope", "preset", "webhook", "event_type",
    "environment", "severity", "action", "user", "role", "find_ports", "start_port", "end_port", "count",
    "next",
]  # fmt: skip
POST_BODIES = [
    {},
    {"scope": "bogus"},
    {"scope": "all"},
    {"next": EVIL},
    {"action": "bogus"},
    {"action": "test"},
    {"action": "save", "url": "ftp://x", "timeout_seconds": "abc"},
    {"start": "2026-02-30T10:00", "end": "abc", "resource": "abc", "title": "x" * 5000},
    {"ids": "abc", "resource": "99999999999999999999", "repeat": "HOURLY", "repeat_count": "-3"},
    {"action": "rotate"},
    {"action": "delete"},
]


def _patterns(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if not route.startswith(SKIP):
                yield route, pattern.name or ""


@pytest.fixture
def world(demo_users, settings):
    """The demo plus one of each refusing state: a locked and a released allocation, a cancelled
    and a past booking, another site's booking, a webhook with a delivery, keys, tokens."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    admin, siteadmin, user = demo_users["admin"], demo_users["siteadmin"], demo_users["user"]
    berlin, boston = Site.objects.get(slug="berlin"), Site.objects.exclude(slug="berlin").first()
    locked = registry_services.allocate(
        actor=user, site=berlin, resource_type="port", resource_value="8100", resource_name="x", owner_service="web"
    )
    registry_services.allocation_set_lock(actor=admin, allocation=locked, locked=True)
    released = registry_services.allocate(
        actor=user, site=berlin, resource_type="port", resource_value="8101", resource_name="y", owner_service="web"
    )
    registry_services.allocation_release(actor=user, allocation=released)
    gpu = Resource.objects.get(site=berlin, name="dgx-01-gpu0")
    soon = timezone.now() + timedelta(days=3)
    cancelled = booking_services.reservation_create(actor=user, resource=gpu, start=soon, end=soon + timedelta(hours=1))
    booking_services.reservation_cancel(actor=user, reservation=cancelled)
    foreign = Resource.objects.filter(site=boston, status="active").first()
    if foreign is not None:
        booking_services.reservation_create(actor=admin, resource=foreign, start=soon, end=soon + timedelta(hours=1))
    hook, _ = webhook_services.webhook_create(actor=siteadmin, site=berlin, name="hook", url="http://127.0.0.1:9/")
    webhook_services.webhook_send_test(actor=siteadmin, webhook=hook)
    account_services.ssh_key_add(
        actor=user,
        user=user,
        label="laptop",
        public_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl fuzz@example",
    )
    account_services.api_token_create(actor=user, user=user, name="ci")
    notify(user=user, kind="test", title="Hello", body="", url="/")
    return demo_users


def _ids(name: str) -> list[int]:
    """Ids worth trying in a pattern: the objects it is about (in every state), nothing, too big."""

    models = {
        "reservation": Reservation,
        "allocation": Allocation,
        "webhook-delivery": Delivery,
        "webhook": Webhook,
        "ssh-key": SshKey,
        "api-token": ApiToken,
        "person": get_user_model(),
        "resource": Resource,
        "ical-resource": Resource,
    }
    model = next((m for prefix, m in models.items() if name.startswith(prefix)), Reservation)
    return [*model.objects.order_by("pk").values_list("pk", flat=True)[:12], 0, 2**63]


def _urls(route: str, name: str) -> list[str]:
    slugs = [*Site.objects.values_list("slug", flat=True), "no-such-site"]
    urls = [route]
    for converter, values in (("<int:pk>", _ids(name)), ("<slug:slug>", slugs), ("<str:token>", ["bad-token"])):
        if converter in route:
            urls = [u.replace(converter, str(v)) for u in urls for v in values]
    return ["/" + u for u in urls]


def _stays_here(response) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return True
    location = urlsplit(response["Location"])
    return location.netloc in ("", "testserver")


def _fuzz(client: Client) -> list[str]:
    failures = []

    def hit(method: str, url: str, **kwargs):
        try:
            response = getattr(client, method)(url, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a crash is what we are looking for; report it with the URL
            failures.append(f"{method.upper()} {url} {kwargs.get('data', '')!r:.120}: {type(exc).__name__}: {exc}")
            return
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {url}: {response.status_code}")
        elif not _stays_here(response):
            failures.append(f"{method.upper()} {url}: redirects off-site to {response['Location']}")

    for route, name in _patterns():
        urls = _urls(route, name)
        for url in urls:
            hit("get", url)
        for value in MALFORMED:
            hit("get", urls[0], data=dict.fromkeys(QUERY_NAMES, value))
        for url in urls:
            for body in POST_BODIES:
                hit("post", url, data=body, HTTP_REFERER=EVIL)
                hit("post", url, data=body, HTTP_REFERER=f"http://testserver{url}")
    return failures


@pytest.mark.parametrize("username", ["anonymous", "user", "siteadmin", "admin"])
def test_no_page_answers_500_or_redirects_off_site(world, username):
    client = Client(raise_request_exception=True)
    if username != "anonymous":
        client.force_login(world[username])
    failures = _fuzz(client)
    assert failures == [], "\n".join(failures[:40]) + f"\n({len(failures)} in all)"


def test_the_fuzzer_sees_every_page():
    routes = {route for route, _ in _patterns()}
    assert {"reservations/<int:pk>/cancel/", "registry/<int:pk>/release/", "calendar/<slug:slug>/timeline/"} <= routes
    assert not any(re.match(r"api/|admin/", route) for route in routes)
