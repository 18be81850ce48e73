"""Asking for training, deciding it, and the API's view of it by role and site."""

import pytest

from notifications.models import Notification
from tests.factories import ResourceTypeFactory
from tests.reservations.conftest import at
from training import services
from training.models import RequestStatus, Requirement, TrainingRequest
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def test_a_training_request_goes_through(api_for, member, trainer, microscopes):
    requirement = microscopes["requirement"]
    asked = api_for(member).post(
        "/api/training/requests/", {"requirement": requirement.pk, "message": "For my cryo-EM project"}, format="json"
    )
    assert asked.status_code == 201, asked.content
    assert Notification.objects.filter(user=trainer, kind="training.requested").exists()
    again = api_for(member).post("/api/training/requests/", {"requirement": requirement.pk}, format="json")
    assert again.status_code == 409 and "already asked" in again.json()["detail"]
    queue = api_for(trainer).get("/api/training/requests/?status=open").json()["results"]
    assert [r["user"] for r in queue] == [member.username]
    granted = api_for(trainer).post(
        f"/api/training/requests/{asked.json()['id']}/grant/", {"expires_on": str(at(60, 12).date())}, format="json"
    )
    assert granted.status_code == 201, granted.content
    assert granted.json()["state"] == "valid" and granted.json()["granted_by"] == trainer.username
    assert TrainingRequest.objects.get().status == RequestStatus.GRANTED
    assert Notification.objects.filter(user=member, kind="qualification.granted").exists()
    booked = api_for(member).post(
        "/api/reservations/",
        {"resource": microscopes["krios"].pk, "start": at(1, 9).isoformat(), "end": at(1, 10).isoformat()},
        format="json",
    )
    assert booked.status_code == 201
    twice = api_for(trainer).post(f"/api/training/requests/{asked.json()['id']}/grant/", {}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "decided"
    assert Event.objects.filter(type="training.requested").count() == 1


def test_declining_needs_a_reason_and_tells_the_person(api_for, member, trainer, microscopes):
    asked = services.training_request_create(actor=member, requirement=microscopes["requirement"])
    blank = api_for(trainer).post(f"/api/training/requests/{asked.pk}/decline/", {"reason": " "}, format="json")
    assert blank.status_code == 400 and "reason" in blank.json()["errors"]
    declined = api_for(trainer).post(
        f"/api/training/requests/{asked.pk}/decline/", {"reason": "Take the safety course first"}, format="json"
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    note = Notification.objects.get(user=member, kind="training.declined")
    assert "Take the safety course first" in note.body


def test_members_may_not_grant_or_decide(api_for, member, second_member, microscopes):
    asked = services.training_request_create(actor=second_member, requirement=microscopes["requirement"])
    assert api_for(member).get(f"/api/training/requests/{asked.pk}/").status_code == 404  # another's request
    granted = api_for(member).post(
        "/api/training/qualifications/",
        {"user": member.username, "requirement": microscopes["requirement"].pk},
        format="json",
    )
    assert granted.status_code == 400  # no requirement they decide: not even offered
    made = api_for(member).post("/api/training/requirements/", {"resource_type": microscopes["type"].pk}, format="json")
    assert made.status_code == 400


def test_only_the_asker_withdraws(api_for, member, trainer, microscopes):
    asked = services.training_request_create(actor=member, requirement=microscopes["requirement"])
    assert api_for(trainer).post(f"/api/training/requests/{asked.pk}/withdraw/").status_code == 403
    withdrawn = api_for(member).post(f"/api/training/requests/{asked.pk}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_site_administrators_keep_requirements_and_trainers(site_admin_api, member, microscopes, site_a):
    kind = ResourceTypeFactory(site=site_a, name="Confocal")
    made = site_admin_api.post(
        "/api/training/requirements/", {"resource_type": kind.pk, "lapse_months": 6}, format="json"
    )
    assert made.status_code == 201, made.content
    assert (
        site_admin_api.post("/api/training/requirements/", {"resource_type": kind.pk}, format="json").status_code == 409
    )
    changed = site_admin_api.patch(
        f"/api/training/requirements/{made.json()['id']}/", {"lapse_months": 12}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["lapse_months"] == 12
    shared = ResourceTypeFactory(site=None, name="Shared type")
    assert (
        site_admin_api.post("/api/training/requirements/", {"resource_type": shared.pk}, format="json").status_code
        == 400
    )
    named = site_admin_api.post(
        "/api/training/trainers/", {"user": member.username, "resource_type": kind.pk}, format="json"
    )
    assert named.status_code == 201, named.content
    assert site_admin_api.delete(f"/api/training/trainers/{named.json()['id']}/").status_code == 204
    assert site_admin_api.delete(f"/api/training/requirements/{made.json()['id']}/").status_code == 204


def test_nothing_is_learnable_across_sites(api_for, outsider, member, trainer, microscopes, qualified):
    qualified()
    outsider_api = api_for(outsider)
    for path in ("requirements", "trainers", "qualifications", "requests"):
        listed = outsider_api.get(f"/api/training/{path}/")
        assert listed.status_code == 200 and listed.json()["results"] == [], path
    requirement = microscopes["requirement"]
    assert outsider_api.get(f"/api/training/requirements/{requirement.pk}/").status_code == 404
    missing = outsider_api.post("/api/training/requests/", {"requirement": requirement.pk}, format="json")
    unknown = outsider_api.post("/api/training/requests/", {"requirement": 999999}, format="json")
    assert missing.status_code == unknown.status_code == 400
    assert missing.json()["errors"]["requirement"][0].replace(str(requirement.pk), "N") == unknown.json()["errors"][
        "requirement"
    ][0].replace("999999", "N")
    assert Requirement.objects.count() == 1


def test_each_role_sees_its_share_of_qualifications(api_for, admin_user, site_admin, trainer, member, second_member,
                                                    microscopes, qualified):  # fmt: skip
    qualified(member)
    qualified(second_member)
    seen = {
        who.username: sorted(q["user"] for q in api_for(who).get("/api/training/qualifications/").json()["results"])
        for who in (admin_user, site_admin, trainer, member)
    }
    everyone = sorted([member.username, second_member.username])
    assert seen == {"root": everyone, "siteadmin": everyone, "tina": everyone, member.username: [member.username]}
