import shutil
import subprocess
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiToken, SshKey
from accounts.tokens import digest
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def openssh(private_key, comment="alice@laptop") -> str:
    line = private_key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return f"{line.decode()} {comment}"


def ssh_keygen_fingerprint(public_key: str, tmp_path) -> str:
    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen (openssh-client) is not installed to cross-check fingerprints")
    path = tmp_path / "key.pub"
    path.write_text(public_key + "\n")
    return subprocess.run(["ssh-keygen", "-lf", str(path)], capture_output=True, text=True).stdout.split()[1]


class TestApiTokens:
    def test_created_once_stored_hashed_and_usable_as_bearer(self, member_api, member, api_for):
        response = member_api.post("/api/users/me/tokens/", {"name": "ansible"}, format="json")
        assert response.status_code == 201
        secret = response.json()["token"]
        assert secret.startswith("rsv_") and len(secret) > 40
        stored = ApiToken.objects.get(user=member)
        assert stored.digest == digest(secret) and secret not in (stored.digest, stored.prefix)
        assert "token" not in member_api.get("/api/users/me/tokens/").json()[0]

        bearer = api_for()
        me = bearer.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert me.status_code == 200 and me.json()["username"] == "member"
        stored.refresh_from_db()
        assert stored.last_used_at is not None

    def test_revoked_and_expired_tokens_are_refused(self, member_api, member, api_for):
        secret = member_api.post("/api/users/me/tokens/", {"name": "ci"}, format="json").json()["token"]
        token = ApiToken.objects.get(user=member)
        assert member_api.delete(f"/api/users/me/tokens/{token.pk}/").status_code == 204
        response = api_for().get("/api/resources/", HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert response.status_code == 401
        assert response.json()["detail"] == "Token revoked or expired."
        token.refresh_from_db()
        assert token.revoked_at is not None  # revoking keeps the record

        secret = member_api.post("/api/users/me/tokens/", {"name": "short"}, format="json").json()["token"]
        ApiToken.objects.filter(name="short").update(expires_at=timezone.now() - timedelta(seconds=1))
        assert api_for().get("/api/resources/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
        assert AuditEntry.objects.filter(action="auth.login_failed").count() == 2

    def test_expiry_must_be_in_the_future(self, member_api):
        past = (timezone.now() - timedelta(days=1)).isoformat()
        response = member_api.post("/api/users/me/tokens/", {"name": "x", "expires_at": past}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"] == {"expires_at": ["The expiry must be in the future."]}

    def test_unknown_tokens_and_deactivated_users_are_refused(self, member, api_for):
        assert api_for().get("/api/resources/", HTTP_AUTHORIZATION="Bearer rsv_nope").status_code == 401
        out = StringIO()
        call_command("api_token", "member", "--name", "deploy", stdout=out)
        secret = out.getvalue().strip()
        member.is_active = False
        member.save()
        assert api_for().get("/api/resources/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401

    def test_management_command_prints_only_the_token(self, member, api_for):
        out = StringIO()
        call_command("api_token", "member", "--name", "ansible", "--expires-in-days", "30", stdout=out)
        lines = out.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("rsv_")
        token = ApiToken.objects.get(name="ansible")
        assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
        assert api_for().get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {lines[0]}").status_code == 200

    def test_tokens_of_others_are_invisible(self, member_api, site_admin_api):
        member_api.post("/api/users/me/tokens/", {"name": "mine"}, format="json")
        token = ApiToken.objects.get(name="mine")
        assert site_admin_api.get("/api/users/me/tokens/").json() == []
        assert site_admin_api.delete(f"/api/users/me/tokens/{token.pk}/").status_code == 404


class TestSshKeys:
    @pytest.mark.parametrize(
        ("key", "key_type", "bits"),
        [
            (ed25519.Ed25519PrivateKey.generate(), "ssh-ed25519", 256),
            (ec.generate_private_key(ec.SECP256R1()), "ecdsa-sha2-nistp256", 256),
            (ec.generate_private_key(ec.SECP384R1()), "ecdsa-sha2-nistp384", 384),
            (rsa.generate_private_key(public_exponent=65537, key_size=3072), "ssh-rsa", 3072),
        ],
    )
    def test_accepted_keys_get_the_ssh_keygen_fingerprint(self, member_api, key, key_type, bits, tmp_path):
        public = openssh(key)
        response = member_api.post("/api/users/me/ssh-keys/", {"public_key": public}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["key_type"], body["bits"], body["label"]) == (key_type, bits, "alice@laptop")
        assert body["fingerprint"] == ssh_keygen_fingerprint(public, tmp_path)

    def test_short_rsa_keys_are_refused(self, member_api):
        weak = openssh(rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505 - the weak key under test
        response = member_api.post("/api/users/me/ssh-keys/", {"public_key": weak}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"] == {"public_key": ["RSA keys need at least 2048 bits; this one has 1024."]}

    @pytest.mark.parametrize(
        "garbage", ["", "hello", "ssh-ed25519 notbase64!!", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA"]
    )
    def test_garbage_is_refused(self, member_api, garbage):
        response = member_api.post("/api/users/me/ssh-keys/", {"public_key": garbage, "label": "x"}, format="json")
        assert response.status_code == 400
        assert "public_key" in response.json()["errors"]

    def test_duplicates_are_refused_even_across_users(self, member_api, site_admin_api):
        public = openssh(ed25519.Ed25519PrivateKey.generate())
        assert member_api.post("/api/users/me/ssh-keys/", {"public_key": public}, format="json").status_code == 201
        again = site_admin_api.post("/api/users/me/ssh-keys/", {"public_key": public}, format="json")
        assert again.status_code == 400
        assert "is already registered" in again.json()["errors"]["public_key"][0]
        assert SshKey.objects.count() == 1

    def test_keys_are_listed_and_removed_by_their_owner_only(self, member_api, site_admin_api):
        public = openssh(ed25519.Ed25519PrivateKey.generate())
        key_id = member_api.post(
            "/api/users/me/ssh-keys/", {"public_key": public, "label": "laptop"}, format="json"
        ).json()["id"]
        assert [k["label"] for k in member_api.get("/api/users/me/ssh-keys/").json()] == ["laptop"]
        assert site_admin_api.delete(f"/api/users/me/ssh-keys/{key_id}/").status_code == 404
        assert member_api.delete(f"/api/users/me/ssh-keys/{key_id}/").status_code == 204
        assert not SshKey.objects.exists()


class TestProfile:
    def test_profile_update(self, member_api, member):
        response = member_api.patch(
            "/api/users/me/", {"first_name": "Mia", "time_zone": "Europe/Berlin"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["time_zone"] == "Europe/Berlin"
        member.refresh_from_db()
        assert member.first_name == "Mia"

    def test_bad_time_zone_is_a_field_error(self, member_api):
        response = member_api.patch("/api/users/me/", {"time_zone": "Mars"}, format="json")
        assert response.status_code == 400
        assert "IANA" in response.json()["errors"]["time_zone"][0]


def test_a_global_administrator_cannot_demote_themself(admin_user, api_for):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(admin_user)
    response = client.patch(f"/api/users/{admin_user.pk}/", {"is_global_admin": False}, format="json")
    assert response.status_code == 409, response.content
    assert "your own global administration" in response.json()["detail"]
    admin_user.refresh_from_db()
    assert admin_user.is_superuser
