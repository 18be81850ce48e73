"""Machine tokens and the state the agent reads with one: only its machine, its wholes and its
parts, with the holders' keys; shown once, stored as a digest, revoked for good."""

import pytest
from rest_framework.test import APIClient

from accounts.tokens import digest
from audit.models import AuditEntry
from common.exceptions import PermissionDenied
from machines import services
from machines.models import MachineToken

pytestmark = pytest.mark.django_db


def agent(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Machine {secret}")
    return client


def test_a_site_administrator_gives_a_machine_a_token_shown_once(site_admin, machine):
    token, secret = services.machine_token_create(actor=site_admin, resource=machine["server"], name="dgx-01.lab")
    assert secret.startswith("rsm_") and len(secret) > 40
    stored = MachineToken.objects.get()
    assert stored.digest == digest(secret) and secret not in (stored.digest, stored.prefix)
    assert AuditEntry.objects.filter(action="machine_token.created", object_id=str(token.pk)).exists()


def test_members_and_other_sites_administrators_may_not(member, outsider, machine, site_b):
    from tenancy.models import Membership, Role
    from tests.factories import UserFactory

    boston_admin = UserFactory(username="bostonadmin", is_staff=True)
    Membership.objects.create(site=site_b, user=boston_admin, role=Role.ADMIN)
    for actor in (member, outsider, boston_admin):
        with pytest.raises(PermissionDenied):
            services.machine_token_create(actor=actor, resource=machine["server"], name="x")
    assert not MachineToken.objects.exists()


def test_the_state_names_who_holds_the_machine_its_wholes_and_parts_with_their_keys(
    site_admin, member, second_member, machine, booked, with_key
):
    _, member_key = with_key(member)
    _, colleague_key = with_key(second_member)
    booked(machine["gpus"][0], member, -10, 50, title="fine-tuning")
    booked(machine["server"], second_member, 60, 120)
    booked(machine["other"], second_member, -10, 50)  # another machine: not this one's business
    booked(machine["server"], member, -120, -60)  # over
    _, secret = services.machine_token_create(actor=site_admin, resource=machine["gpus"][0], name="gpu0")

    response = agent(secret).get("/api/agent/state/")
    assert response.status_code == 200
    state = response.json()
    assert state["resource"] == "dgx-01-gpu0"
    assert [(h["username"], h["resource"], h["keys"]) for h in state["holders"]] == [
        ("member", "dgx-01-gpu0", [member_key]),
        ("colleague", "dgx-01", [colleague_key]),
    ]
    assert "fine-tuning" not in response.content.decode()  # what it needs, nothing more
    assert MachineToken.objects.get().last_seen_at is not None


def test_without_a_valid_machine_token_nothing(site_admin, member, machine, member_api):
    _, secret = services.machine_token_create(actor=site_admin, resource=machine["server"], name="dgx-01")
    assert APIClient().get("/api/agent/state/").status_code == 401
    assert agent("rsm_not-a-token").get("/api/agent/state/").status_code == 401
    assert member_api.get("/api/agent/state/").status_code == 403  # a person is not a machine
    token = MachineToken.objects.get()
    services.machine_token_revoke(actor=site_admin, token=token)
    refused = agent(secret).get("/api/agent/state/")
    assert refused.status_code == 401 and refused.json()["code"]
    assert AuditEntry.objects.filter(action="machine_token.revoked").count() == 1


def test_the_admin_shows_the_secret_once_and_revokes(client, site_admin, machine):
    client.force_login(site_admin)
    page = client.post(
        "/admin/machines/machinetoken/add/", {"resource": machine["server"].pk, "name": "dgx-01.lab"}, follow=True
    )
    assert page.status_code == 200
    text = page.content.decode()
    token = MachineToken.objects.get()
    assert "shown only now" in text and token.prefix in text
    assert client.get(f"/admin/machines/machinetoken/{token.pk}/change/").content.decode().count(token.prefix) >= 1
    client.post("/admin/machines/machinetoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None
