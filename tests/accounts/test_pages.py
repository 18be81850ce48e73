"""HTML pages and admin screens show each role exactly its share."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from accounts.models import ApiToken, SshKey
from tenancy.models import Membership, Role
from tests.factories import ResourceFactory, ResourceTypeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_sites(site_a, site_b):
    kind = ResourceTypeFactory(name="GPU server")
    return {
        "a": ResourceFactory(site=site_a, resource_type=kind, name="dgx-01"),
        "b": ResourceFactory(site=site_b, resource_type=kind, name="hgx-02"),
    }


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


class TestCatalogueAndAdminScoping:
    def test_catalogue_shows_only_member_sites(self, client, member, two_sites):
        client.force_login(member)
        html = page(client, "/")
        assert "dgx-01" in html and "Berlin Lab" in html
        assert "hgx-02" not in html and "Boston DC" not in html

    def test_site_admin_admin_screens_are_scoped(self, client, site_admin, two_sites):
        client.force_login(site_admin)
        changelist = client.get("/admin/resources/resource/")
        assert [r.name for r in changelist.context["cl"].result_list] == ["dgx-01"]
        other = client.get(f"/admin/resources/resource/{two_sites['b'].pk}/change/")
        assert other.status_code == 302  # "doesn't exist", back to the admin index
        assert page(client, f"/admin/resources/resource/{two_sites['a'].pk}/change/")
        sites = client.get("/admin/resources/site/").context["cl"].result_list
        assert [s.name for s in sites] == ["Berlin Lab"]
        add_form = client.get("/admin/resources/resource/add/").context["adminform"].form
        assert [s.name for s in add_form.fields["site"].queryset] == ["Berlin Lab"]
        assert client.get("/admin/auth/user/").status_code == 403
        assert client.get("/admin/resources/site/add/").status_code == 403

    def test_site_admin_cannot_change_a_visible_site_they_do_not_administer(self, client, site_admin, two_sites):
        Membership.objects.create(site=two_sites["b"].site, user=site_admin, role=Role.MEMBER)
        client.force_login(site_admin)
        response = client.post(
            f"/admin/resources/resource/{two_sites['b'].pk}/change/",
            {"name": "renamed", "site": two_sites["b"].site_id, "resource_type": two_sites["b"].resource_type_id},
        )
        assert response.status_code == 403
        two_sites["b"].refresh_from_db()
        assert two_sites["b"].name == "hgx-02"

    def test_members_have_no_admin(self, client, member):
        client.force_login(member)
        response = client.get("/admin/", follow=True)
        # The not-allowed page, not a second login form suggesting another account would do.
        assert response.status_code == 403 and "Not allowed" in response.text
        assert "admin console is for site and global administrators" in response.text


class TestProfilePage:
    def test_keys_and_tokens_from_the_page(self, client, member):
        client.force_login(member)
        public = (
            ed25519.Ed25519PrivateKey.generate()
            .public_key()
            .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
            .decode()
        )
        response = client.post("/profile/", {"form": "ssh_key", "public_key": public, "label": "laptop"}, follow=True)
        assert "SSH key added." in response.content.decode()
        assert SshKey.objects.get(user=member).label == "laptop"

        bad = client.post("/profile/", {"form": "ssh_key", "public_key": "nonsense"}).content.decode()
        assert "Paste one OpenSSH public key" in bad

        created = client.post("/profile/", {"form": "token", "name": "laptop-cli"}).content.decode()
        token = ApiToken.objects.get(user=member)
        assert "will not be shown again" in created and token.prefix in created
        assert page(client, "/profile/").count("rsv_") == 1  # later visits show only the prefix

        client.post(f"/profile/tokens/{token.pk}/revoke/")
        token.refresh_from_db()
        assert token.revoked_at is not None

    def test_profile_form_validates_time_zone(self, client, member):
        client.force_login(member)
        html = client.post("/profile/", {"form": "profile", "time_zone": "Nowhere/City"}).content.decode()
        assert "is not an IANA time zone" in html


class TestUserManagementPages:
    def test_site_admin_adds_a_member_and_sees_only_their_people(self, client, site_admin, member, outsider, site_a):
        newcomer = UserFactory(username="newcomer")
        client.force_login(site_admin)
        listing = page(client, "/users/")
        assert "member" in listing and "outsider" not in listing
        assert client.get(f"/users/{newcomer.pk}/").status_code == 404  # not (yet) one of theirs
        client.force_login(site_admin)
        response = client.post(
            f"/users/{member.pk}/", {"action": "membership", "site": site_a.pk, "role": Role.ADMIN}, follow=True
        )
        assert "Membership saved." in response.content.decode()
        assert Membership.objects.get(user=member).role == Role.ADMIN
        assert "Deactivate" not in page(client, f"/users/{member.pk}/")  # a global administrator's power

    def test_global_admin_deactivates(self, client, admin_user, member):
        client.force_login(admin_user)
        client.post(f"/users/{member.pk}/", {"action": "deactivate"})
        member.refresh_from_db()
        assert not member.is_active

    def test_members_cannot_open_user_management(self, client, member):
        client.force_login(member)
        assert client.get("/users/").status_code == 403


class TestAuditPage:
    def test_filters_and_counts(self, client, admin_user, member):
        client.force_login(member)
        client.post("/profile/", {"form": "profile", "time_zone": "Europe/Berlin", "first_name": "Mo"})
        client.force_login(admin_user)
        html = page(client, "/audit/?category=user")
        assert "user.updated" in html and "Europe/Berlin" in html
        assert "/api/audit-log/export/?category=user" in html
        assert page(client, "/audit/?since=not-a-date").count("data-action") == 0


def test_a_refused_write_from_a_page_is_audited(client, member, site_a):
    from audit.models import AuditEntry

    client.force_login(member)
    response = client.post("/users/1/", {"action": "deactivate"})
    assert response.status_code == 403
    refusal = AuditEntry.objects.get(action="auth.permission_denied")
    assert refusal.actor_username == "member" and "POST /users/1/" in refusal.message


@pytest.mark.django_db(transaction=True)
def test_parallel_first_requests_of_a_new_user_share_one_profile(member):
    """Every page of a new user reports the browser's zone; two at once must not collide."""
    from rest_framework.test import APIClient

    from accounts.models import Profile
    from tests.concurrency import race

    def report_zone():
        client = APIClient()
        client.force_authenticate(member)
        return client.patch("/api/users/me/", {"time_zone": "Europe/Berlin"}, format="json").status_code

    assert not Profile.objects.filter(user=member).exists()
    assert race([report_zone for _ in range(8)]) == [200] * 8
    assert Profile.objects.get(user=member).time_zone == "Europe/Berlin"
