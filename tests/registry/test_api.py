import re
from datetime import timedelta

import pytest
from django.utils import timezone

from registry.models import Allocation, AllocationConflict, AllocationStatus
from registry.tasks import expire_allocations

pytestmark = pytest.mark.django_db
URL = "/api/system-resources/"


def allocate(api, site, kind, value, env="production", service="web", **extra):
    return api.post(
        URL,
        {
            "site": site.pk,
            "resource_type": kind,
            "resource_value": value,
            "environment": env,
            "resource_name": f"{kind} for {service}",
            "owner_service": service,
            **extra,
        },
        format="json",
    )


class TestAllocate:
    def test_canonical_collision_is_a_409_naming_the_holder_and_is_logged(self, member_api, site_a):
        first = allocate(member_api, site_a, "port", "8000")
        assert first.status_code == 201 and first.json()["resource_value"] == "8000"
        again = allocate(member_api, site_a, "port", "08000", service="billing")
        assert again.status_code == 409
        body = again.json()
        assert body["code"] == "taken"
        assert body["held_by"]["owner_service"] == "web" and body["held_by"]["environment"] == "production"
        assert "already allocated in production to web since" in body["detail"]
        conflict = AllocationConflict.objects.get()
        assert (conflict.resource_value, conflict.owner_service, conflict.kind) == ("8000", "billing", "duplicate")
        assert allocate(member_api, site_a, "port", "8000", env="staging").status_code == 201

    def test_invalid_value_is_a_400_on_the_field(self, member_api, site_a):
        response = allocate(member_api, site_a, "port", "99999")
        assert response.status_code == 400
        assert response.json()["errors"] == {"resource_value": ["A port is a whole number from 1 to 65535."]}

    def test_release_keeps_the_record_and_frees_the_value(self, member_api, site_a):
        allocation_id = allocate(member_api, site_a, "database", "billing").json()["id"]
        released = member_api.delete(f"{URL}{allocation_id}/")
        assert released.status_code == 200 and released.json()["status"] == "released"
        assert released.json()["released_at"] is not None
        assert allocate(member_api, site_a, "database", "BILLING").status_code == 201
        assert Allocation.objects.filter(resource_value="billing").count() == 2
        history = member_api.get(f"{URL}{allocation_id}/history/").json()
        assert [h["action"] for h in history] == ["allocated", "released"]

    def test_paths_inside_allocated_directories_conflict(self, member_api, site_admin_api, site_a):
        assert allocate(member_api, site_a, "directory", "/srv/app").status_code == 201
        inside = allocate(member_api, site_a, "log_path", "/srv/app/logs/web.log")
        assert inside.status_code == 409 and inside.json()["conflict"] == "nested_path"
        around = allocate(site_admin_api, site_a, "directory", "/srv")  # one level: administrators only
        assert around.status_code == 409 and "around directory /srv/app" in around.json()["detail"]
        assert allocate(member_api, site_a, "directory", "/srv/application").status_code == 201  # not inside
        assert allocate(member_api, site_a, "log_path", "/srv/app/x.log", env="staging").status_code == 201

    def test_cidr_blocks_conflict_with_what_is_inside_them(self, member_api, site_a):
        assert allocate(member_api, site_a, "ip_address", "10.20.0.5").status_code == 201
        block = allocate(member_api, site_a, "ip_range", "10.20.0.0/24")
        assert block.status_code == 409 and block.json()["conflict"] == "network_overlap"
        assert allocate(member_api, site_a, "ip_range", "10.30.0.0/24").status_code == 201
        inside = allocate(member_api, site_a, "ip_address", "10.30.0.9")
        assert inside.status_code == 409 and "overlaps ip_range 10.30.0.0/24" in inside.json()["detail"]

    def test_bulk_is_all_or_nothing(self, member_api, site_a):
        allocate(member_api, site_a, "domain", "billing.example.org")
        specs = [
            {"resource_type": "port", "resource_value": "9100", "resource_name": "api", "owner_service": "billing"},
            {
                "resource_type": "database",
                "resource_value": "billing",
                "resource_name": "db",
                "owner_service": "billing",
            },
            {
                "resource_type": "domain",
                "resource_value": "Billing.example.org",
                "resource_name": "web",
                "owner_service": "billing",
            },
        ]
        response = member_api.post(f"{URL}bulk-allocate/", {"site": site_a.pk, "allocations": specs}, format="json")
        assert response.status_code == 409
        assert not Allocation.objects.filter(resource_type__in=["port", "database"]).exists()
        specs[2]["resource_value"] = "pay.example.org"
        response = member_api.post(f"{URL}bulk-allocate/", {"site": site_a.pk, "allocations": specs}, format="json")
        assert response.status_code == 201 and len(response.json()) == 3


class TestChangesAndLocks:
    def test_update_rules_and_locks(self, member_api, admin_api, site_a):
        allocation_id = allocate(member_api, site_a, "port", "8080").json()["id"]
        ok = member_api.patch(f"{URL}{allocation_id}/", {"notes": "behind nginx"}, format="json")
        assert ok.status_code == 200 and ok.json()["notes"] == "behind nginx"
        refused = member_api.patch(f"{URL}{allocation_id}/", {"resource_value": "8081"}, format="json")
        assert refused.status_code == 400
        assert "release the allocation and allocate again" in refused.json()["errors"]["resource_value"][0]
        assert member_api.post(f"{URL}{allocation_id}/lock/").status_code == 403
        assert admin_api.post(f"{URL}{allocation_id}/lock/").json()["is_locked"] is True
        assert member_api.patch(f"{URL}{allocation_id}/", {"notes": "x"}, format="json").status_code == 423
        locked = member_api.delete(f"{URL}{allocation_id}/")
        assert locked.status_code == 423 and locked.json()["code"] == "locked"
        admin_api.post(f"{URL}{allocation_id}/unlock/")
        assert member_api.delete(f"{URL}{allocation_id}/").status_code == 200
        actions = [h["action"] for h in member_api.get(f"{URL}{allocation_id}/history/").json()]
        assert actions == ["allocated", "modified", "locked", "unlocked", "released"]

    def test_members_manage_their_own_site_admins_all_of_their_site(
        self, member_api, site_admin_api, api_for, site_a, outsider_api
    ):
        from tenancy.models import Membership
        from tests.factories import UserFactory

        colleague = UserFactory(username="colleague")
        Membership.objects.create(site=site_a, user=colleague, role="member")
        allocation_id = allocate(member_api, site_a, "port", "7000").json()["id"]
        assert api_for(colleague).delete(f"{URL}{allocation_id}/").status_code == 403
        assert outsider_api.get(f"{URL}{allocation_id}/").status_code == 404
        assert site_admin_api.delete(f"{URL}{allocation_id}/").status_code == 200


class TestDiscovery:
    def test_check_availability(self, member_api, site_a):
        allocate(member_api, site_a, "port", "5432")
        body = member_api.post(
            f"{URL}check-availability/", {"resource_type": "port", "resource_value": "05432"}, format="json"
        ).json()
        assert body["available"] is False and body["resource_value"] == "5432"
        assert body["held_by"]["owner_service"] == "web"
        free = member_api.post(
            f"{URL}check-availability/", {"resource_type": "port", "resource_value": "5433"}, format="json"
        )
        assert free.json()["available"] is True

    def test_find_ports_ips_and_redis_dbs(self, member_api, site_a):
        for port in (8000, 8001, 8003):
            allocate(member_api, site_a, "port", str(port))
        body = member_api.post(
            f"{URL}find-available-ports/", {"start_port": 8000, "end_port": 8010, "count": 3}, format="json"
        ).json()
        assert body["available_ports"] == [8002, 8004, 8005]
        assert body["range"] == {"start": 8000, "end": 8010} and body["requested_count"] == 3
        allocate(member_api, site_a, "ip_address", "10.0.0.1")
        ips = member_api.post(f"{URL}find-available-ips/", {"network": "10.0.0.0/29", "count": 2}, format="json")
        assert ips.json()["available_ips"] == ["10.0.0.2", "10.0.0.3"]
        allocate(member_api, site_a, "redis_db", "0")
        assert member_api.get(f"{URL}available-redis-dbs/").json()["available"][:2] == [1, 2]
        bad = member_api.post(f"{URL}find-available-ports/", {"start_port": 9000, "end_port": 8000}, format="json")
        assert bad.status_code == 400

    def test_allocate_next_port_and_summary(self, member_api, site_a):
        allocate(member_api, site_a, "port", "9000")
        body = {"site": site_a.pk, "start_port": 9000, "end_port": 9100, "resource_name": "api", "owner_service": "svc"}
        response = member_api.post(f"{URL}allocate-next-port/", body, format="json")
        assert response.status_code == 201 and response.json()["resource_value"] == "9001"
        summary = member_api.get(f"{URL}summary/").json()
        assert summary["by_type"] == {"port": 2} and summary["by_status"] == {"active": 2}

    def test_search_and_filters(self, member_api, site_a):
        allocate(member_api, site_a, "port", "8000", service="billing")
        allocate(member_api, site_a, "domain", "billing.example.org", service="web")
        allocate(member_api, site_a, "port", "8001", env="staging", service="web")

        def values(query):
            return sorted(a["resource_value"] for a in member_api.get(f"{URL}?{query}").json()["results"])

        assert values("resource_type=port") == ["8000", "8001"]
        assert values("search=billing") == ["8000", "billing.example.org"]
        assert values("environment=staging") == ["8001"]
        assert values("owner_service=web") == ["8001", "billing.example.org"]


class TestConflictsAndExpiry:
    def test_conflicts_are_listed_and_resolved_by_administrators(self, member_api, site_admin_api, site_a):
        allocate(member_api, site_a, "port", "8000")
        allocate(member_api, site_a, "port", "8000", service="rogue")
        conflicts = site_admin_api.get(f"{URL}conflicts/").json()["results"]
        assert [c["owner_service"] for c in conflicts] == ["rogue"]
        conflict_id = conflicts[0]["id"]
        assert (
            member_api.post(f"{URL}conflicts/{conflict_id}/resolve/", {"note": "x"}, format="json").status_code == 404
        )
        done = site_admin_api.post(
            f"{URL}conflicts/{conflict_id}/resolve/", {"note": "rogue moved to 8100"}, format="json"
        )
        assert done.status_code == 200 and done.json()["resolution_note"] == "rogue moved to 8100"

    def test_expired_allocations_are_released_and_owners_warned(self, member_api, member, site_a):
        from notifications.models import Notification

        soon = timezone.now() + timedelta(hours=12)
        allocation_id = allocate(member_api, site_a, "port", "8500", expires_at=soon.isoformat()).json()["id"]
        assert expire_allocations()["warned"] == 1
        assert Notification.objects.filter(user=member, kind="allocation.expiring").exists()
        Allocation.objects.filter(pk=allocation_id).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert expire_allocations()["released"] == 1
        allocation = Allocation.objects.get(pk=allocation_id)
        assert allocation.status == AllocationStatus.RELEASED
        assert [h.action for h in allocation.history.all()] == ["allocated", "expired"]


def test_events_reach_the_outbox(member_api, site_admin, site_a):
    from webhooks.models import Event
    from webhooks.services import webhook_create

    webhook_create(
        actor=site_admin,
        site=site_a,
        name="cmdb",
        url="http://127.0.0.1:9/",
        event_types=["allocation.created", "allocation.released"],
    )
    allocation_id = allocate(member_api, site_a, "port", "8000").json()["id"]
    member_api.delete(f"{URL}{allocation_id}/")
    assert list(Event.objects.order_by("timestamp").values_list("type", flat=True)) == [
        "allocation.created",
        "allocation.released",
    ]
    assert Event.objects.first().payload["data"]["allocation"]["resource_value"] == "8000"


def test_admin_screens_and_actions(admin_client, member_api, site_a):
    allocation_id = allocate(member_api, site_a, "port", "8000").json()["id"]
    for url in (
        "/admin/registry/allocation/",
        f"/admin/registry/allocation/{allocation_id}/change/",
        "/admin/registry/allocationconflict/",
    ):
        assert admin_client.get(url).status_code == 200, url
    admin_client.post("/admin/registry/allocation/", {"action": "lock", "_selected_action": [allocation_id]})
    response = admin_client.post(
        "/admin/registry/allocation/", {"action": "release", "_selected_action": [allocation_id]}, follow=True
    )
    assert "is locked" in response.content.decode()
    assert Allocation.objects.get(pk=allocation_id).status == "active"


def test_registry_page(client, member, site_a):
    client.force_login(member)
    response = client.post(
        "/registry/",
        {
            "site": site_a.pk,
            "resource_type": "port",
            "resource_value": "08080",
            "environment": "production",
            "resource_name": "api",
            "owner_service": "web",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Allocated." in page and 'data-value="8080"' in page
    taken = client.post(
        "/registry/",
        {
            "site": site_a.pk,
            "resource_type": "port",
            "resource_value": "8080",
            "environment": "production",
            "resource_name": "x",
            "owner_service": "other",
        },
    ).content.decode()
    assert "already allocated in production to web" in taken
    found = client.get("/registry/?find_ports=1&start_port=8079&end_port=8085&count=2&environment=production")
    offered = re.findall(r'data-port="(\d+)"', found.content.decode().split('id="free-ports"')[1].split("</p>")[0])
    assert offered == ["8079", "8081"]
    allocation = Allocation.objects.get()
    assert "allocated" in client.get(f"/registry/{allocation.pk}/history/").content.decode()
    client.post(f"/registry/{allocation.pk}/release/")
    allocation.refresh_from_db()
    assert allocation.status == "released"


def test_templates_give_a_new_service_everything_at_once_or_nothing(admin_api, member_api, site_a):
    specs = [
        {"resource_type": "port", "resource_value": "next:8000-8100", "resource_name": "{service} API"},
        {"resource_type": "database", "resource_value": "{service}"},
        {"resource_type": "db_user", "resource_value": "{service}_app"},
        {"resource_type": "domain", "resource_value": "{service}.{zone}"},
    ]
    assert (
        member_api.post(f"{URL}templates/", {"name": "web service", "specs": specs}, format="json").status_code == 403
    )
    created = admin_api.post(f"{URL}templates/", {"name": "web service", "specs": specs}, format="json")
    assert created.status_code == 201, created.content
    template_id = created.json()["id"]
    apply = f"{URL}templates/{template_id}/apply/"
    missing = member_api.post(apply, {"site": site_a.pk, "service": "billing"}, format="json")
    assert missing.status_code == 400 and "zone" in missing.json()["detail"]
    body = {"site": site_a.pk, "service": "billing", "variables": {"zone": "example.org"}}
    response = member_api.post(apply, body, format="json")
    assert response.status_code == 201
    assert sorted(a["resource_value"] for a in response.json()) == [
        "8000",
        "billing",
        "billing.example.org",
        "billing_app",
    ]
    again = member_api.post(apply, body, format="json")  # the database is taken: nothing else is allocated
    assert again.status_code == 409
    assert Allocation.objects.count() == 4
    bad = admin_api.post(f"{URL}templates/", {"name": "x", "specs": [{"resource_type": "port"}]}, format="json")
    assert bad.status_code == 400


def test_edit_page(client, member, member_api, site_a):
    allocation_id = allocate(member_api, site_a, "port", "8000").json()["id"]
    client.force_login(member)
    assert "cannot change" in client.get(f"/registry/{allocation_id}/edit/").content.decode()
    response = client.post(f"/registry/{allocation_id}/edit/", {"resource_name": "public API", "notes": "via nginx"})
    assert response.status_code == 302
    allocation = Allocation.objects.get(pk=allocation_id)
    assert (allocation.resource_name, allocation.notes) == ("public API", "via nginx")


def test_deleting_a_template_goes_through_the_service_and_is_audited(admin_api, member_api, client, admin_user):
    from audit.models import AuditEntry
    from registry import services as registry_services

    specs = [{"resource_type": "port", "resource_value": "next:8000-8999"}]
    first = admin_api.post(f"{URL}templates/", {"name": "one", "specs": specs}, format="json").json()["id"]
    assert member_api.delete(f"{URL}templates/{first}/").status_code == 403
    assert admin_api.delete(f"{URL}templates/{first}/").status_code == 204
    second = registry_services.template_save(actor=admin_user, template=None, name="two", specs=specs)
    client.force_login(admin_user)
    response = client.post(f"/admin/registry/allocationtemplate/{second.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    deleted = AuditEntry.objects.filter(action="allocation_template.deleted").values_list("object_repr", flat=True)
    assert sorted(deleted) == ["one", "two"]


def test_another_sites_allocation_cannot_be_named_or_seen_as_a_dependency(member_api, outsider_api, site_a, site_b):
    theirs = allocate(outsider_api, site_b, "port", "7443", service="hidden-service").json()
    refused = allocate(member_api, site_a, "port", "8443", depends_on=[theirs["id"]])
    missing = allocate(member_api, site_a, "port", "8444", depends_on=[2**62])
    assert refused.status_code == missing.status_code == 400
    # The same words as for an id that does not exist: nothing tells that it does.
    assert refused.json()["errors"]["depends_on"] == [
        m.replace(str(2**62), str(theirs["id"])) for m in missing.json()["errors"]["depends_on"]
    ]
    form = member_api.get("/api/system-resources/", HTTP_ACCEPT="text/html").content.decode()
    assert "7443" not in form and "hidden-service" not in form


class TestBounds:
    """Nobody blocks every site: members claim at most /24 and paths two levels deep, site
    administrators /16 and one level, global administrators anything."""

    @pytest.mark.parametrize(
        ("kind", "value", "words"),
        [
            ("directory", "/", "at least 2 levels"),
            ("directory", "/srv", "at least 2 levels"),
            ("log_path", "/var", "at least 2 levels"),
            ("ip_range", "0.0.0.0/0", "at most a /24"),
            ("ip_range", "10.0.0.0/8", "at most a /24"),
            ("ip_range", "::/0", "at most a /64"),
        ],
    )
    def test_a_member_cannot_claim_a_wide_value(self, member_api, site_a, kind, value, words):
        response = allocate(member_api, site_a, kind, value)
        assert response.status_code == 400 and words in response.json()["errors"]["resource_value"][0]

    def test_each_role_has_its_own_reach(self, member_api, site_admin_api, admin_api, site_a, site_b, outsider_api):
        assert allocate(member_api, site_a, "directory", "/srv/alpha").status_code == 201
        assert allocate(member_api, site_a, "ip_range", "10.1.2.0/24").status_code == 201
        assert allocate(site_admin_api, site_a, "ip_range", "10.2.0.0/16").status_code == 201
        assert allocate(site_admin_api, site_a, "ip_range", "10.0.0.0/8").status_code == 400
        assert allocate(site_admin_api, site_a, "directory", "/").status_code == 400
        assert allocate(admin_api, site_a, "directory", "/", env="staging").status_code == 201
        # What the member could claim leaves the other site free to work.
        assert allocate(outsider_api, site_b, "directory", "/srv/beta").status_code == 201

    def test_free_addresses_are_found_at_once_behind_a_huge_allocation(self, admin_api, member_api, site_a):
        assert allocate(admin_api, site_a, "ip_range", "0.0.0.0/1").status_code == 201
        response = member_api.post(
            "/api/system-resources/find-available-ips/", {"network": "0.0.0.0/0", "count": 3}, format="json"
        )
        assert response.json()["available_ips"] == ["128.0.0.0", "128.0.0.1", "128.0.0.2"]
        full = member_api.post(
            "/api/system-resources/find-available-ips/", {"network": "10.0.0.0/8", "count": 5}, format="json"
        )
        assert full.json()["available_ips"] == []  # all taken, answered without walking 16 million addresses
