import json
import time

import pytest

from audit.models import AuditEntry
from reservations.models import Reservation
from tests.factories import ResourceFactory, ResourceTypeFactory
from webhooks.models import Delivery, Event, Webhook
from webhooks.outbox import write_event
from webhooks.transport import signing

pytestmark = pytest.mark.django_db


def create(api, site, url="http://127.0.0.1:9/hook", **extra):
    return api.post("/api/webhooks/", {"site": site.pk, "name": "prov", "url": url, **extra}, format="json")


def test_site_admins_manage_their_sites_webhooks_only(site_admin_api, member_api, outsider_api, site_a, site_b):
    assert create(member_api, site_a).status_code == 403
    assert create(site_admin_api, site_b).status_code == 400  # Boston is not theirs to see
    response = create(site_admin_api, site_a)
    assert response.status_code == 201
    hook_id = response.json()["id"]
    assert member_api.get(f"/api/webhooks/{hook_id}/").status_code == 404
    assert outsider_api.get("/api/webhooks/").json()["results"] == []
    assert member_api.post(f"/api/webhooks/{hook_id}/test/").status_code == 404


def test_the_secret_is_shown_once_and_never_again(site_admin_api, site_a):
    body = create(site_admin_api, site_a).json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    hook_id = body["id"]
    assert "secret" not in site_admin_api.get(f"/api/webhooks/{hook_id}/").json()
    assert secret not in json.dumps(list(AuditEntry.objects.values("changes", "message")), default=str)
    rotated = site_admin_api.post(f"/api/webhooks/{hook_id}/rotate-secret/").json()["secret"]
    assert rotated != secret
    hook = Webhook.objects.get(pk=hook_id)
    assert hook.previous_secret == secret and hook.previous_secret_expires_at is not None
    assert rotated not in json.dumps(list(AuditEntry.objects.values("changes", "message")), default=str)


def test_invalid_configuration_is_explained(site_admin_api, site_a, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    response = create(
        site_admin_api,
        site_a,
        url="http://127.0.0.1/hook",
        event_types=["reservation.started", "nope"],
        scope="resource",
        headers={"Content-Type": "x"},
        timeout_seconds=60,
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "event_types" in errors and "timeout_seconds" in errors
    response = create(site_admin_api, site_a, url="http://127.0.0.1/hook", scope="resource", headers={"Host": "x"})
    errors = response.json()["errors"]
    assert errors["url"][0].startswith("127.0.0.1 is not a public address")
    assert errors["resource"] == ["Choose the resource this webhook listens to."]
    assert "set by Reservoir" in errors["headers"][0]
    assert create(site_admin_api, site_a, url="http://169.254.169.254/latest").status_code == 400


def test_outbox_rows_are_written_with_the_change(member_api, site_admin_api, site_a):
    gpu = ResourceFactory(site=site_a, resource_type=ResourceTypeFactory(name="GPU"), name="gpu0")
    create(site_admin_api, site_a, event_types=["reservation.created"])
    start = "2031-01-06T09:00:00+00:00"
    response = member_api.post(
        "/api/reservations/",
        {"resource": gpu.pk, "start": start, "end": "2031-01-06T10:00:00+00:00"},
        format="json",
    )
    assert response.status_code == 201
    event = Event.objects.get(type="reservation.created")
    assert event.payload["data"]["reservation"]["id"] == response.json()["id"]
    assert Delivery.objects.get().event == event
    bad = member_api.post("/api/reservations/", {"resource": gpu.pk, "start": start, "end": start}, format="json")
    assert bad.status_code == 400
    assert Event.objects.filter(type="reservation.created").count() == 1  # nothing for a refused change
    assert Reservation.objects.count() == 1


class TestCallbacks:
    def post(self, api, hook_id, secret, payload, *, message_id="msg_1", timestamp=None):
        body = json.dumps(payload).encode()
        headers = signing.headers([secret], message_id, timestamp or int(time.time()), body)
        return api.generic(
            "POST",
            f"/api/webhooks/{hook_id}/callback/",
            body,
            content_type="application/json",
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
        )

    @pytest.fixture
    def hook(self, site_admin_api, site_a):
        body = create(site_admin_api, site_a).json()
        return body["id"], body["secret"]

    def test_progress_note_reaches_the_owner_once(self, anon_api, hook, member, site_a):
        from datetime import timedelta

        from django.utils import timezone

        from notifications.models import Notification
        from reservations import services as bookings

        gpu = ResourceFactory(site=site_a, resource_type=ResourceTypeFactory(name="GPU"), name="gpu0")
        start = timezone.now() + timedelta(days=1)
        booking = bookings.reservation_create(actor=member, resource=gpu, start=start, end=start + timedelta(hours=1))
        hook_id, secret = hook
        payload = {"type": "progress", "reservation": booking.pk, "note": "SSH access granted"}
        assert self.post(anon_api, hook_id, secret, payload).status_code == 202
        assert Notification.objects.get(user=member, kind="reservation.progress").body == "SSH access granted"
        again = self.post(anon_api, hook_id, secret, payload)
        assert again.status_code == 409 and again.json()["code"] == "duplicate"

    def test_provisioning_result_is_stored_with_the_delivery(self, anon_api, hook, site_a):
        hook_id, secret = hook
        event = write_event(event_type="webhook.test", data={}, site_id=site_a.pk, webhooks=[Webhook.objects.get()])
        payload = {"type": "provisioning_result", "event_id": str(event.id), "result": {"ok": True}}
        assert self.post(anon_api, hook_id, secret, payload, message_id="m2").status_code == 202
        assert Delivery.objects.get().provisioning_result == {"ok": True}

    def test_monitoring_takes_a_resource_out_of_service_and_its_lease_booking_moves(
        self, anon_api, hook, member, site_a
    ):
        from datetime import timedelta

        from django.utils import timezone

        from reservations.leases import services as leases

        kind = ResourceTypeFactory(name="GPU server", site=site_a)
        down, spare = (ResourceFactory(site=site_a, resource_type=kind, name=n) for n in ("dgx-01", "dgx-02"))
        start = timezone.now() + timedelta(days=1)
        lease = leases.lease_create(
            actor=member, site=site_a, resource_type=kind, count=1, start=start, end=start + timedelta(hours=2)
        )
        hook_id, secret = hook
        held = lease.bookings.get().resource
        payload = {"type": "resource_status", "resource": held.name, "status": "unavailable", "reason": "PSU"}
        answer = self.post(anon_api, hook_id, secret, payload, message_id="m3")
        assert answer.status_code == 202 and answer.json()["changed"] is True
        assert {down.pk, spare.pk} - {held.pk} == {lease.bookings.get().resource_id}
        unknown = self.post(anon_api, hook_id, secret, {**payload, "resource": "elsewhere"}, message_id="m4")
        assert unknown.status_code == 400 and "resource" in unknown.json()["errors"]
        bad = self.post(anon_api, hook_id, secret, {**payload, "status": "on fire"}, message_id="m5")
        assert bad.status_code == 400 and "status" in bad.json()["errors"]

    def test_bad_signatures_and_stale_timestamps_are_refused(self, anon_api, hook):
        hook_id, secret = hook
        payload = {"type": "progress", "reservation": 1}
        assert self.post(anon_api, hook_id, signing.generate_secret(), payload).status_code == 401
        stale = self.post(anon_api, hook_id, secret, payload, timestamp=int(time.time()) - 600)
        assert stale.status_code == 401 and "too old" in stale.json()["detail"]


def test_pages(client, site_admin, site_a, member):
    client.force_login(site_admin)
    response = client.post(
        "/webhooks/",
        {"site": site_a.pk, "name": "monitoring", "url": "http://127.0.0.1:9/m", "scope": "site", "timeout_seconds": 5},
    )
    assert response.status_code == 200 and "will not be shown again" in response.content.decode()
    hook = Webhook.objects.get(name="monitoring")
    assert hook.secret in response.content.decode()
    page = client.get("/webhooks/").content.decode()
    assert "monitoring" in page and hook.secret not in page
    client.post(f"/webhooks/{hook.pk}/", {"action": "test"})
    assert Delivery.objects.filter(webhook=hook, event__type="webhook.test").exists()
    assert "webhook.test" in client.get("/webhooks/deliveries/").content.decode()
    client.force_login(member)
    assert client.get("/webhooks/").status_code == 403


def test_admin_screens(admin_client, site_a):
    hook = Webhook.objects.create(site=site_a, name="h", url="http://127.0.0.1:9/", secret=signing.generate_secret())
    write_event(event_type="webhook.test", data={}, site_id=site_a.pk, webhooks=[hook])
    for url in (
        "/admin/webhooks/webhook/",
        f"/admin/webhooks/webhook/{hook.pk}/change/",
        "/admin/webhooks/webhook/add/",
        "/admin/webhooks/delivery/",
        f"/admin/webhooks/delivery/{Delivery.objects.get().pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url


def test_a_delivery_connects_to_the_address_that_was_checked(settings, receiver, monkeypatch):
    """A resolver that answers differently on its second call (DNS rebinding): the request still goes
    to the first, checked address, with the webhook's host name in the Host header."""
    import socket

    from webhooks.models import Webhook
    from webhooks.transport import delivery

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    port = int(receiver.url.rsplit(":", 1)[1])
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.2"])
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "hooks.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    hook = Webhook(url=f"http://hooks.example.test:{port}/ok", secret="whsec_x", timeout_seconds=5)
    outcome = delivery.post(hook, b"{}", {"Content-Type": "application/json"})
    assert outcome.status == 200, outcome.error
    (request,) = receiver.received("/ok")
    assert request["headers"]["Host"] == f"hooks.example.test:{port}"
    assert next(answers) == "127.0.0.2"  # the name was resolved exactly once


def test_a_name_that_resolves_inside_is_refused_before_connecting(settings, monkeypatch):
    import socket

    from webhooks.models import Webhook
    from webhooks.transport import delivery

    settings.WEBHOOK_ALLOWED_NETWORKS = []
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 80))]
    )
    outcome = delivery.post(Webhook(url="http://inside.example.test/", secret="s", timeout_seconds=5), b"{}", {})
    assert outcome.status is None and "Refused by outbound safety" in outcome.error
