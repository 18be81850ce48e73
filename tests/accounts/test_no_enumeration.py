"""No enumeration: every page, every browsable-API form and every choice list a member of one site
can open is built from the same scoped selectors as the API, so nobody and nothing of another site
appears anywhere: not its name, its people, its resources, types, webhooks or allocations."""

import re

import pytest
from django.test import Client

from registry import services as registry
from tenancy.models import Membership, Role
from tests.browser.support import reachable_pages
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory
from webhooks import services as webhooks

pytestmark = pytest.mark.django_db

SECRETS = ["Zanzibar", "zed-outsider", "zz-hidden-node", "Hidden-type", "hidden-hook", "hidden-service"]


@pytest.fixture
def elsewhere():
    """Another site with a person, a site-only type, a resource, a webhook and an allocation."""
    site = SiteFactory(name="Zanzibar Lab", slug="zanzibar")
    person = UserFactory(username="zed-outsider", first_name="Zed", last_name="Zanzibar")
    Membership.objects.create(site=site, user=person, role=Role.ADMIN)
    kind = ResourceTypeFactory(site=site, name="Hidden-type")
    ResourceFactory(site=site, resource_type=kind, name="zz-hidden-node")
    webhooks.webhook_create(actor=person, site=site, name="hidden-hook", url="http://127.0.0.1:9/hook")
    registry.allocate(
        actor=person,
        site=site,
        resource_type="port",
        resource_value="7443",
        resource_name="api",
        owner_service="hidden-service",
        environment="production",
    )
    return site


def api_lists(client) -> list[str]:
    root = client.get("/api/", HTTP_ACCEPT="application/json").json()
    urls = [value for value in root.values() if isinstance(value, str) and value.startswith("http")]
    return sorted({re.sub(r"^https?://[^/]+", "", url) for url in urls})


def body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret.lower() in text.lower()]


def test_a_member_finds_nothing_of_another_site_anywhere(member, elsewhere):
    client = Client()
    client.force_login(member)
    found = []
    for path in reachable_pages(member, limit=200):
        found += [f"page {path}: {secret}" for secret in leaks(body(client.get(path)))]
    lists = api_lists(client)
    assert len(lists) > 15, lists
    for path in lists:
        for accept in ("text/html", "application/json"):  # the browsable API renders its forms' choices
            response = client.get(path, HTTP_ACCEPT=accept)
            found += [f"{accept} {path}: {secret}" for secret in leaks(body(response))]
        options = client.options(path, HTTP_ACCEPT="application/json")
        found += [f"OPTIONS {path}: {secret}" for secret in leaks(body(options))]
    for form in ("/reservations/new/", "/registry/new/", "/profile/"):
        found += [f"form {form}: {secret}" for secret in leaks(body(client.get(form)))]
    assert found == []


def test_a_site_administrator_finds_nothing_of_another_site_in_the_admin(site_admin, elsewhere):
    from tests.browser.test_accessibility import admin_pages

    site_admin.is_staff = True
    site_admin.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(site_admin)
    pages = admin_pages(client)
    assert len(pages) > 15, pages
    found = []
    for path in pages:
        found += [f"admin {path}: {secret}" for secret in leaks(body(client.get(path)))]
    assert found == []


def test_a_site_administrator_adds_a_member_in_the_admin_by_typing_a_username(site_admin, site_a, elsewhere):
    """Django's user autocomplete would list everyone; site administrators type the username instead."""
    site_admin.is_staff = True
    site_admin.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(site_admin)
    autocomplete = "/admin/autocomplete/?app_label=accounts&model_name=membership&field_name=user&term=z"
    assert client.get(autocomplete).status_code == 403
    form = body(client.get("/admin/accounts/membership/add/"))
    assert 'name="user"' in form and "autocomplete" not in form.split('name="user"')[0][-200:] and leaks(form) == []
    unknown = client.post("/admin/accounts/membership/add/", {"site": site_a.pk, "user": "nobody", "role": "member"})
    assert unknown.status_code == 200 and "No active user has this username." in body(unknown)
    added = client.post(
        "/admin/accounts/membership/add/", {"site": site_a.pk, "user": "zed-outsider", "role": "member"}
    )
    assert added.status_code == 302
    assert Membership.objects.filter(site=site_a, user__username="zed-outsider", role=Role.MEMBER).exists()
