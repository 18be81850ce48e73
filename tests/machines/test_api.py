"""Machine tokens and usage policies in the REST API, for each role."""

import pytest

from audit.models import AuditEntry
from machines.models import MachineToken, UsagePolicy
from tests.machines.test_tokens_and_state import agent

pytestmark = pytest.mark.django_db


def test_a_site_administrator_creates_a_token_shown_once_and_revokes_it(site_admin_api, machine):
    made = site_admin_api.post("/api/machine-tokens/", {"resource": machine["server"].pk, "name": "dgx-01"})
    assert made.status_code == 201, made.content
    secret = made.json()["token"]
    assert agent(secret).get("/api/agent/state/").status_code == 200
    listed = site_admin_api.get("/api/machine-tokens/").json()["results"]
    assert [row["name"] for row in listed] == ["dgx-01"] and "token" not in listed[0]
    assert site_admin_api.delete(f"/api/machine-tokens/{made.json()['id']}/").status_code == 204
    assert agent(secret).get("/api/agent/state/").status_code == 401
    assert MachineToken.objects.get().revoked_at is not None  # revoked, the record kept


def test_members_and_other_sites_get_no_token(member_api, outsider_api, machine):
    for client in (member_api, outsider_api):
        answer = client.post("/api/machine-tokens/", {"resource": machine["server"].pk, "name": "x"})
        assert answer.status_code == 400 and "resource" in str(answer.json())  # not a choice of theirs
        assert client.get("/api/machine-tokens/").json()["results"] == []
    assert not MachineToken.objects.exists()


def test_a_site_administrator_sets_the_usage_policy_of_a_type(site_admin_api, machine):
    kind = machine["server"].resource_type
    made = site_admin_api.post("/api/usage-policies/", {"resource_type": kind.pk, "auto_checkin": True})
    assert made.status_code == 201, made.content
    assert made.json()["at_end"] == "end" and made.json()["idle_reclaim"] is False
    changed = site_admin_api.patch(f"/api/usage-policies/{kind.pk}/", {"idle_reclaim": True, "idle_minutes": 20})
    assert changed.status_code == 200, changed.content
    assert UsagePolicy.objects.get().idle_minutes == 20
    assert AuditEntry.objects.filter(action="usage_policy.updated").exists()
    bad = site_admin_api.patch(f"/api/usage-policies/{kind.pk}/", {"idle_gpu_percent": 140, "at_end": "never"})
    assert bad.status_code == 400 and {"idle_gpu_percent", "at_end"} <= set(str(bad.json()).replace("'", " ").split())


def test_members_cannot_set_usage_policies(member_api, outsider_api, machine):
    kind = machine["server"].resource_type
    for client in (member_api, outsider_api):
        assert client.post("/api/usage-policies/", {"resource_type": kind.pk}).status_code == 400
    assert not UsagePolicy.objects.exists()
