import csv
import gzip
import io
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from accounts import services as account_services
from audit.models import AuditEntry
from resources import services as resource_services
from tenancy.models import Role
from tests.factories import ResourceTypeFactory, UserFactory

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


class TestEveryWriteIsRecorded:
    def test_catalogue_writes(self, admin_user, site_a):
        kind = resource_services.resource_type_create(actor=admin_user, name="GPU", color="#123456")
        server = resource_services.resource_create(actor=admin_user, site=site_a, resource_type=kind, name="dgx-01")
        resource_services.resource_update(actor=admin_user, resource=server, specs="8x A100")
        resource_services.resource_status_set(actor=admin_user, resource=server, status="maintenance")
        resource_services.site_update(actor=admin_user, site=site_a, location="Room 1")
        resource_services.resource_delete(actor=admin_user, resource=server)
        resource_services.resource_type_update(actor=admin_user, resource_type=kind, description="cards")
        resource_services.resource_type_delete(actor=admin_user, resource_type=kind)
        site = resource_services.site_create(actor=admin_user, name="Lyon")
        resource_services.site_delete(actor=admin_user, site=site)
        assert actions() == [
            "resource_type.created",
            "resource.created",
            "resource.updated",
            "resource.status_changed",
            "site.updated",
            "resource.deleted",
            "resource_type.updated",
            "resource_type.deleted",
            "site.created",
            "site.deleted",
        ]
        status_change = AuditEntry.objects.get(action="resource.status_changed")
        assert status_change.changes == {"status": ["active", "maintenance"]}
        assert status_change.severity == "warning"
        assert status_change.site_id == site_a.pk
        assert status_change.actor_username == "root"
        assert status_change.object_repr == "dgx-01"

    def test_people_writes(self, admin_user, site_a):
        person = UserFactory(username="pat")
        membership = account_services.membership_set(actor=admin_user, site=site_a, user=person)
        account_services.membership_set(actor=admin_user, site=site_a, user=person, role=Role.ADMIN)
        account_services.membership_remove(actor=admin_user, membership=membership)
        account_services.profile_update(actor=person, user=person, first_name="Pat")
        key = account_services.ssh_key_add(
            actor=person,
            user=person,
            public_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ7E0Tyo2XwYZiNn7lWvgc5E8fD0Rtiw5mZRYK0Y8Bk pat",
        )
        account_services.ssh_key_delete(actor=person, key=key)
        token, secret = account_services.api_token_create(actor=person, user=person, name="ci")
        account_services.api_token_revoke(actor=person, token=token)
        account_services.user_set_global_admin(actor=admin_user, user=person, is_admin=True)
        account_services.user_set_active(actor=admin_user, user=person, is_active=False)
        assert actions() == [
            "membership.created",
            "membership.updated",
            "membership.deleted",
            "user.updated",
            "ssh_key.created",
            "ssh_key.deleted",
            "api_token.created",
            "api_token.revoked",
            "user.role_changed",
            "user.deactivated",
        ]
        role_change = AuditEntry.objects.get(action="membership.updated")
        assert role_change.changes == {"role": ["member", "admin"]}
        token_entry = AuditEntry.objects.get(action="api_token.created")
        assert token_entry.changes["digest"] == [None, "********"]
        assert secret not in json.dumps(list(AuditEntry.objects.values()), default=str)

    def test_a_refused_write_leaves_no_change_entry_but_a_refusal(self, member_api, site_a):
        kind = ResourceTypeFactory(site=site_a)
        response = member_api.patch(f"/api/resource-types/{kind.pk}/", {"name": "x"}, format="json")
        assert response.status_code == 403
        assert actions() == ["auth.permission_denied"]
        refusal = AuditEntry.objects.get()
        assert refusal.actor_username == "member"
        assert refusal.severity == "warning"
        assert f"PATCH /api/resource-types/{kind.pk}/" in refusal.message

    def test_a_conflict_rolls_back_its_entry(self, admin_user, site_a):
        kind = ResourceTypeFactory()
        resource_services.resource_create(actor=admin_user, site=site_a, resource_type=kind, name="a")
        before = AuditEntry.objects.count()
        with pytest.raises(Exception, match="in use"):
            resource_services.resource_type_delete(actor=admin_user, resource_type=kind)
        assert AuditEntry.objects.count() == before


class TestRequestContext:
    def test_entries_carry_ip_user_agent_and_the_request_id_returned_to_the_client(self, admin_api, site_a):
        response = admin_api.patch(
            f"/api/sites/{site_a.pk}/",
            {"location": "Hall 3"},
            format="json",
            HTTP_USER_AGENT="ansible/2.17",
            HTTP_X_REQUEST_ID="deploy-42",
            REMOTE_ADDR="192.0.2.10",
        )
        assert response["X-Request-ID"] == "deploy-42"
        entry = AuditEntry.objects.get(action="site.updated")
        assert (entry.ip, entry.user_agent, entry.request_id) == ("192.0.2.10", "ansible/2.17", "deploy-42")

    def test_a_malformed_request_id_is_replaced(self, admin_api):
        response = admin_api.get("/api/sites/", HTTP_X_REQUEST_ID="bad id with spaces")
        assert len(response["X-Request-ID"]) == 32


class TestLogins:
    def test_login_logout_and_failures(self, client, member):
        client.post("/accounts/login/", {"username": "member", "password": "wrong"})
        client.post("/accounts/login/", {"username": "member", "password": "correct-horse-battery"})
        client.post("/accounts/logout/")
        assert actions() == ["auth.login_failed", "auth.login", "auth.logout"]
        failed = AuditEntry.objects.get(action="auth.login_failed")
        assert failed.severity == "warning" and "'member'" in failed.message


class TestAppendOnly:
    def test_the_database_refuses_update_and_delete(self, admin_user):
        entry = AuditEntry.objects.create(action="test.created", category="test")
        for statement in (
            "UPDATE audit_auditentry SET action = 'forged' WHERE id = %s",
            "DELETE FROM audit_auditentry WHERE id = %s",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, [entry.pk])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
        assert AuditEntry.objects.get(pk=entry.pk).action == "test.created"

    def test_the_api_and_admin_offer_no_change(self, admin_api, admin_client):
        entry = AuditEntry.objects.create(action="test.created", category="test")
        assert admin_api.delete(f"/api/audit-log/{entry.pk}/").status_code == 405
        assert admin_api.patch(f"/api/audit-log/{entry.pk}/", {"action": "x"}, format="json").status_code == 405
        assert admin_client.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
        page = admin_client.get(f"/admin/audit/auditentry/{entry.pk}/change/").content.decode()
        assert 'type="submit"' not in page.split("<form", 1)[-1] or "Save" not in page

    def test_archive_moves_old_entries_to_a_compressed_file(self, tmp_path):
        old = AuditEntry.objects.create(action="old.thing", category="old")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
            cursor.execute(
                "UPDATE audit_auditentry SET timestamp = %s WHERE id = %s",
                [timezone.now() - timedelta(days=400), old.pk],
            )
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")
        recent = AuditEntry.objects.create(action="new.thing", category="new")
        from django.core.management import call_command

        call_command("audit_archive", "--days", "365", "--output-dir", str(tmp_path), stdout=io.StringIO())
        archive = next(tmp_path.glob("audit-before-*.jsonl.gz"))
        with gzip.open(archive, "rt") as lines:
            rows = [json.loads(line) for line in lines]
        assert [r["action"] for r in rows] == ["old.thing"]
        assert not AuditEntry.objects.filter(pk=old.pk).exists()
        assert AuditEntry.objects.filter(pk=recent.pk).exists()
        assert AuditEntry.objects.filter(action="audit.archived").exists()
        # The sanctioned removal ends with its transaction: deleting is refused again.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(pk=recent.pk).delete()


class TestAuditApi:
    @pytest.fixture
    def history(self, admin_user, site_a, site_b, member, outsider):
        AuditEntry.objects.all()  # fixtures above wrote nothing through services
        kind = resource_services.resource_type_create(actor=admin_user, name="GPU", color="#123456")
        resource_services.resource_create(actor=admin_user, site=site_a, resource_type=kind, name="a-1")
        resource_services.resource_create(actor=admin_user, site=site_b, resource_type=kind, name="b-1")
        account_services.profile_update(actor=member, user=member, first_name="Mo")
        account_services.profile_update(actor=outsider, user=outsider, first_name="Oz")

    def test_each_role_sees_its_share(self, history, admin_api, site_admin_api, member_api):
        def seen(api):
            return sorted(e["object_repr"] for e in api.get("/api/audit-log/").json()["results"])

        assert seen(admin_api) == ["GPU (all sites)", "a-1", "b-1", "member", "outsider"]
        assert seen(site_admin_api) == ["a-1"]
        assert seen(member_api) == ["member"]

    def test_filters_and_search(self, history, admin_api, site_a):
        def actions_for(query):
            return [e["action"] for e in admin_api.get(f"/api/audit-log/?{query}").json()["results"]]

        assert actions_for(f"site={site_a.pk}") == ["resource.created"]
        assert actions_for("category=user") == ["user.updated", "user.updated"]
        assert actions_for("search=b-1") == ["resource.created"]
        assert actions_for("actor=member") == ["user.updated"]
        assert actions_for("object_type=resources.resourcetype") == ["resource_type.created"]
        future = (timezone.now() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        assert actions_for(f"since={future}") == []
        assert admin_api.get("/api/audit-log/?since=yesterday").status_code == 400

    def test_csv_export_and_counts(self, history, admin_api):
        response = admin_api.get("/api/audit-log/export/?category=resource")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert sorted(r["object_repr"] for r in rows) == ["a-1", "b-1"]
        assert json.loads(rows[0]["changes"])["name"][1] in ("a-1", "b-1")
        summary = admin_api.get("/api/audit-log/summary/").json()
        assert summary["total"] == 5
        assert summary["by_category"] == {"resource": 2, "resource_type": 1, "user": 2}


def test_the_audit_page_says_which_clock_its_times_are_on(client, admin_user):
    """It used to say "When (UTC)" over times in the viewer's own zone."""
    entry = AuditEntry.objects.create(action="resource.created", category="resource", object_repr="dgx-99")
    profile = account_services.profile_for(admin_user)
    profile.time_zone = "America/New_York"
    profile.save()
    client.force_login(admin_user)
    page = client.get("/audit/").content.decode()
    assert "When (UTC)" not in page
    shown = entry.timestamp.astimezone(ZoneInfo("America/New_York"))
    assert shown.strftime("%Y-%m-%d %H:%M:%S %Z") in page


def test_a_bookings_entries_name_its_times_on_the_sites_clock_however_it_was_loaded(site_a, member):
    """The created entry (times from a form, in the site's zone) and the cancelled one (times read back
    from the database, in UTC) read the same: 14:00-18:00 CET, never 13:00-17:00 unlabelled."""
    from reservations import services as reservations
    from tests.factories import ResourceFactory

    berlin = ZoneInfo("Europe/Berlin")
    start = (timezone.now() + timedelta(days=3)).astimezone(berlin).replace(hour=14, minute=0, second=0, microsecond=0)
    resource = ResourceFactory(site=site_a, name="dgx")
    booking = reservations.reservation_create(
        actor=member, resource=resource, start=start, end=start + timedelta(hours=4), title="Driver upgrade"
    )
    reservations.reservation_cancel(actor=member, reservation=type(booking).objects.get(pk=booking.pk))
    texts = set(AuditEntry.objects.filter(object_id=str(booking.pk)).values_list("object_repr", flat=True))
    assert len(texts) == 1, texts
    (text,) = texts
    assert "14:00\u201318:00 CET" in text and text.startswith("Driver upgrade of dgx")
