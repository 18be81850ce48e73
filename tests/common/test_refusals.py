"""One map from refusals to responses (common.errors), seen from each surface: pages go back with
the service's message or show an error page with a 4xx, the admin says it in a message, the API
answers in its one error shape; `next` never leads off the site."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from registry import services as registry_services
from reservations import services as booking_services
from tenancy.models import Membership, Role
from tests.factories import ResourceFactory, ResourceTypeFactory, UserFactory
from webhooks import services as webhook_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked(site_a, member, admin_user):
    allocation = registry_services.allocate(
        actor=member, site=site_a, resource_type="port", resource_value="8100", resource_name="x", owner_service="web"
    )
    return registry_services.allocation_set_lock(actor=admin_user, allocation=allocation, locked=True)


@pytest.fixture
def booking(site_a, member):
    resource = ResourceFactory(site=site_a, resource_type=ResourceTypeFactory())
    start = timezone.now() + timedelta(days=1)
    return booking_services.reservation_create(
        actor=member, resource=resource, start=start, end=start + timedelta(hours=1)
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_releasing_a_locked_allocation_on_the_page_goes_back_with_the_reason(client, member, locked):
    client.force_login(member)
    response = client.post(f"/registry/{locked.pk}/release/", HTTP_REFERER="http://testserver/registry/?status=active")
    assert response.status_code == 302 and response["Location"] == "http://testserver/registry/?status=active"
    assert any("locked" in m.lower() for m in messages_of(response))
    locked.refresh_from_db()
    assert locked.status == "active"


def test_without_a_page_to_go_back_to_a_refusal_is_an_error_page_with_its_status(client, member, locked):
    client.force_login(member)
    response = client.post(f"/registry/{locked.pk}/release/")
    assert response.status_code == 423
    page = response.content.decode()
    assert "locked" in page.lower() and 'href="/reservations/mine/"' in page  # the site's header, a way back


def test_cancelling_with_an_unknown_scope_is_refused_with_the_scopes_named(client, member, booking):
    client.force_login(member)
    response = client.post(f"/reservations/{booking.pk}/cancel/", {"scope": "everything"})
    assert response.status_code == 400
    assert "Scope must be one of: this, following, all." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"


@pytest.mark.parametrize("query", ["days=abc", "days=0", "days=100000000000000000000", "date=2026-02-30"])
def test_a_malformed_timeline_query_is_a_400_naming_the_parameter(client, member, site_a, query):
    client.force_login(member)
    response = client.get(f"/calendar/{site_a.slug}/timeline/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] + ":" in response.content.decode()


def test_resending_a_delivery_never_redirects_off_site(client, site_admin, site_a, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    hook, _ = webhook_services.webhook_create(actor=site_admin, site=site_a, name="h", url="http://127.0.0.1:9/")
    delivery = webhook_services.webhook_send_test(actor=site_admin, webhook=hook)
    client.force_login(site_admin)
    for evil in ("https://evil.example.net/", "//evil.example.net/", "https:evil.example.net"):
        response = client.post(f"/webhooks/deliveries/{delivery.pk}/resend/", {"next": evil})
        assert response.status_code == 302 and response["Location"] == "/webhooks/deliveries/", evil
    response = client.post(f"/webhooks/deliveries/{delivery.pk}/resend/", {"next": "/webhooks/?x=1"})
    assert response["Location"] == "/webhooks/?x=1"


def test_another_sites_booking_does_not_exist_for_a_page(client, outsider, booking):
    client.force_login(outsider)
    assert client.post(f"/reservations/{booking.pk}/cancel/").status_code == 404


def test_a_services_permission_refusal_on_a_page_is_a_403_with_the_message_and_is_audited(client, site_a, member):
    mine = registry_services.allocate(
        actor=member, site=site_a, resource_type="port", resource_value="8200", resource_name="x", owner_service="web"
    )
    colleague = UserFactory(username="colleague")
    Membership.objects.create(site=site_a, user=colleague, role=Role.MEMBER)
    client.force_login(colleague)
    response = client.post(f"/registry/{mine.pk}/release/")
    assert response.status_code == 403
    assert "Only the allocation&#x27;s owner or a site administrator may change it." in response.content.decode()
    assert AuditEntry.objects.filter(action="auth.permission_denied", actor_id=colleague.pk).exists()


def test_a_colleagues_hidden_booking_cannot_be_cancelled_from_a_page(client, site_a, booking):
    colleague = UserFactory(username="colleague")
    Membership.objects.create(site=site_a, user=colleague, role=Role.MEMBER)
    client.force_login(colleague)
    assert client.post(f"/reservations/{booking.pk}/cancel/", {"scope": "this"}).status_code == 404
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_admin_action_on_a_locked_allocation_says_why(client, admin_user, locked):
    registry_services.allocation_set_lock(actor=admin_user, allocation=locked, locked=True)
    client.force_login(admin_user)
    response = client.post(
        "/admin/registry/allocation/", {"action": "release", "_selected_action": [locked.pk]}, follow=True
    )
    texts = messages_of(response)
    assert any(str(locked) in t and "locked" in t.lower() for t in texts), texts
    assert any("0 allocations released" in t for t in texts), texts


def test_the_api_keeps_its_one_error_shape(member_api, locked):
    response = member_api.delete(f"/api/system-resources/{locked.pk}/")
    body = response.json()
    assert response.status_code == 423
    assert body["code"] == "locked" and body["errors"] == {} and "locked" in body["detail"].lower()


def test_an_address_too_long_is_a_414_in_the_one_error_shape(member_api, client, settings):
    query = "?search=" + "x" * settings.MAX_URL_LENGTH
    response = member_api.get("/api/reservations/" + query)
    body = response.json()
    assert response.status_code == 414 and body["code"] == "uri_too_long" and body["errors"] == {}
    assert f"{settings.MAX_URL_LENGTH:,}" in body["detail"]
    page = client.get("/" + query)
    assert page.status_code == 414 and b"Address too long" in page.content
    assert member_api.get("/api/reservations/?search=" + "x" * 2000).status_code == 200


def test_an_oversized_body_is_a_413_and_deep_json_a_400(member_api, settings):
    settings.API_MAX_BODY_BYTES = 10_000
    big = member_api.post("/api/reservations/", {"title": "x" * 20_000}, format="json")
    assert big.status_code == 413 and big.json()["code"] == "too_large"
    deep = "[" * 200 + "]" * 200
    response = member_api.generic("POST", "/api/reservations/", deep, content_type="application/json")
    assert response.status_code == 400 and "deeper than 32" in response.json()["detail"]
    broken = member_api.generic("POST", "/api/reservations/", '{"title": ', content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    "body",
    [
        {"title": "a\u0000b"},
        {"parameters": {"note": "a\u0000b"}},
        {"parameters": {"a\u0000": 1}},
        {"description": ["nested", {"deep": "\u0000"}]},
    ],
)
def test_text_with_a_nul_character_is_a_400_not_a_500(admin_api, body):
    response = admin_api.post("/api/reservations/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "parse_error")


@pytest.mark.django_db
def test_a_blocker_gone_before_it_is_named_is_named_by_its_id(site_a):
    """The delete collector loads blockers with deferred fields; one deleted meanwhile must not turn
    the 409 into a 500 (found by schemathesis deleting a site)."""
    from common.services import _label
    from resources.models import Resource
    from tests.factories import ResourceFactory

    resource = ResourceFactory(site=site_a, name="short-lived")
    deferred = Resource.objects.only("pk").get(pk=resource.pk)
    Resource.objects.filter(pk=resource.pk).delete()
    assert _label(deferred) == f"resource #{resource.pk}"


@pytest.mark.django_db(transaction=True)
def test_a_dependant_committed_while_a_site_is_deleted_is_a_409_naming_it(admin_user):
    """The collector reads dependants before the DELETE; a resource committed in between failed
    the foreign key at commit with a 500 (schemathesis, two workers, DELETE /api/sites/{id}/)."""
    import threading

    from django.db import connection
    from django.db.models.signals import pre_delete

    from common.exceptions import Conflict
    from resources import services
    from tenancy.models import Site
    from tests.factories import ResourceFactory, SiteFactory

    site = SiteFactory(name="Racing Lab")
    inserted, go_on = threading.Event(), threading.Event()

    def insert_and_commit_when_told():
        try:
            with transaction.atomic():
                ResourceFactory(site=site, name="late-arrival")
                inserted.set()
                go_on.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=insert_and_commit_when_told)
    writer.start()
    inserted.wait(10)

    def commit_the_writer(sender, instance, **kwargs):  # after the collector, before the DELETE
        go_on.set()
        writer.join(10)

    pre_delete.connect(commit_the_writer, sender=Site)
    try:
        with pytest.raises(Conflict) as refused:
            services.site_delete(actor=admin_user, site=Site.objects.get(pk=site.pk))
    finally:
        pre_delete.disconnect(commit_the_writer, sender=Site)
    assert "late-arrival" in str(refused.value)
    assert Site.objects.filter(pk=site.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_creation_whose_site_is_deleted_before_it_commits_is_a_409(admin_user):
    """The other side of the race: the site goes first, the new resource fails its foreign key
    when its transaction commits; the API answers 409 naming what vanished, never 500."""
    import threading

    from django.db import connection
    from django.db.models.signals import post_save

    from resources import services
    from resources.models import Resource
    from tenancy.models import Site
    from tests.conftest import _client
    from tests.factories import ResourceTypeFactory, SiteFactory

    site = SiteFactory(name="Vanishing Lab")
    resource_type = ResourceTypeFactory(site=None)

    def delete_the_site_meanwhile(sender, instance, created, **kwargs):
        def delete():
            try:
                services.site_delete(actor=admin_user, site=Site.objects.get(pk=site.pk))
            finally:
                connection.close()

        deleter = threading.Thread(target=delete)
        deleter.start()
        deleter.join(10)

    post_save.connect(delete_the_site_meanwhile, sender=Resource)
    try:
        response = _client(admin_user).post(
            "/api/resources/", {"name": "orphan", "site": site.pk, "resource_type": resource_type.pk}, format="json"
        )
    finally:
        post_save.disconnect(delete_the_site_meanwhile, sender=Resource)
    assert not Site.objects.filter(pk=site.pk).exists()
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "conflict"
    assert "site" in response.json()["detail"]
    assert not Resource.objects.filter(name="orphan").exists()
