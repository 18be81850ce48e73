"""A webhook's custom header values (API keys, typically) never leave the database again: the
audit log, the API and the admin show names with masked values; sending a masked value back keeps it."""

import html

import pytest

from audit.models import AuditEntry
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

KEY = "sk-live-0123456789abcdef"


@pytest.fixture
def webhook(site_admin_api, site_a, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    response = site_admin_api.post(
        "/api/webhooks/",
        {"site": site_a.pk, "name": "prov", "url": "http://127.0.0.1:9/hook", "headers": {"X-Api-Key": KEY}},
        format="json",
    )
    assert response.status_code == 201, response.content
    return Webhook.objects.get(pk=response.json()["id"])


def test_values_are_masked_everywhere_and_kept_when_sent_back(site_admin_api, admin_client, webhook):
    shown = site_admin_api.get(f"/api/webhooks/{webhook.pk}/").json()["headers"]
    assert list(shown) == ["X-Api-Key"] and KEY not in str(shown)
    # A client that PUTs back what it read changes nothing.
    back = site_admin_api.patch(f"/api/webhooks/{webhook.pk}/", {"headers": shown, "name": "prov2"}, format="json")
    assert back.status_code == 200
    webhook.refresh_from_db()
    assert webhook.headers == {"X-Api-Key": KEY} and webhook.name == "prov2"
    # A new value replaces it; the audit log shows that it changed, not what it is.
    site_admin_api.patch(f"/api/webhooks/{webhook.pk}/", {"headers": {"X-Api-Key": "sk-new"}}, format="json")
    webhook.refresh_from_db()
    assert webhook.headers == {"X-Api-Key": "sk-new"}
    entries = AuditEntry.objects.filter(object_type="webhooks.webhook")
    text = str(list(entries.values_list("changes", flat=True)))
    assert KEY not in text and "sk-new" not in text and "X-Api-Key" in text
    assert entries.filter(changes__has_key="headers").exists()
    page = admin_client.get(f"/admin/webhooks/webhook/{webhook.pk}/change/").content.decode()
    assert "X-Api-Key" in page and "sk-new" not in page


def test_a_leaked_secret_can_be_revoked_at_once(site_admin_api, client, site_admin, webhook):
    from webhooks.transport.delivery import valid_secrets

    old = webhook.secret
    kept = site_admin_api.post(f"/api/webhooks/{webhook.pk}/rotate-secret/", {}, format="json").json()["secret"]
    webhook.refresh_from_db()
    assert set(valid_secrets(webhook)) == {kept, old}  # the ordinary overlap
    now = site_admin_api.post(f"/api/webhooks/{webhook.pk}/rotate-secret/", {"revoke_old": True}, format="json")
    webhook.refresh_from_db()
    assert valid_secrets(webhook) == [now.json()["secret"]]
    client.force_login(site_admin)
    page = client.post(f"/webhooks/{webhook.pk}/", {"action": "rotate_revoke"})
    webhook.refresh_from_db()
    assert valid_secrets(webhook) == [webhook.secret] and "no longer works" in page.content.decode()
    assert AuditEntry.objects.filter(action="webhook.secret_rotated", message__icontains="revoked").count() == 2


def test_the_settings_page_shows_masked_values_and_saving_it_keeps_them(client, site_admin, webhook):
    client.force_login(site_admin)
    page = client.get(f"/webhooks/{webhook.pk}/").content.decode()
    assert "X-Api-Key" in page and KEY not in page
    form = page.split('name="headers"', 1)[1].split("</textarea>", 1)[0].split(">", 1)[1]

    saved = client.post(
        f"/webhooks/{webhook.pk}/",
        {
            "action": "save",
            "site": webhook.site_id,
            "name": "renamed",
            "url": webhook.url,
            "enabled": "on",
            "scope": webhook.scope,
            "timeout_seconds": webhook.timeout_seconds,
            "headers": html.unescape(form),
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    webhook.refresh_from_db()
    assert webhook.name == "renamed" and webhook.headers == {"X-Api-Key": KEY}
