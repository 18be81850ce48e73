"""The training pages and the admin console call the same services, for each role."""

import pytest
from django.test import Client

from reservations import services as bookings
from reservations.models import ReservationStatus
from tests.reservations.conftest import at
from training import services
from training.models import Qualification, RequestStatus, TrainingRequest

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_member_asks_and_withdraws_on_the_page(member, microscopes):
    client = _as(member)
    requirement = microscopes["requirement"]
    page = client.get(f"/training/?requirement={requirement.pk}").content.decode()
    assert "Electron microscope" in page and "Request training" in page
    client.post("/training/", {"requirement": requirement.pk, "message": "cryo"})
    assert TrainingRequest.objects.get().status == RequestStatus.OPEN
    assert "waiting for a trainer" in client.get("/training/").content.decode()
    client.post("/training/", {"requirement": requirement.pk, "withdraw": "1"})
    assert TrainingRequest.objects.get().status == RequestStatus.WITHDRAWN


def test_the_queue_is_for_trainers_and_site_administrators(member, trainer, site_admin, outsider, microscopes):
    assert _as(member).get("/training/queue/").status_code == 403
    assert _as(outsider).get("/training/queue/").status_code == 403  # an administrator of another site: nothing
    services.training_request_create(actor=member, requirement=microscopes["requirement"], message="please")
    for decider in (trainer, site_admin):
        assert "please" in _as(decider).get("/training/queue/").content.decode()


def test_a_trainer_declines_with_a_reason_and_grants_on_the_page(member, second_member, trainer, microscopes):
    first = services.training_request_create(actor=member, requirement=microscopes["requirement"])
    second = services.training_request_create(actor=second_member, requirement=microscopes["requirement"])
    client = _as(trainer)
    client.post("/training/queue/", {"request": first.pk, "action": "decline", "reason": ""})
    assert TrainingRequest.objects.get(pk=first.pk).status == RequestStatus.OPEN  # said why not, nothing changed
    client.post("/training/queue/", {"request": first.pk, "action": "decline", "reason": "Course first"})
    assert TrainingRequest.objects.get(pk=first.pk).status == RequestStatus.DECLINED
    client.post("/training/queue/", {"request": second.pk, "action": "grant", "expires_on": str(at(90, 12).date())})
    assert Qualification.objects.get(user=second_member).expires_on == at(90, 12).date()
    client.post(
        "/training/queue/", {"action": "grant-person", "user": member.pk, "requirement": microscopes["requirement"].pk}
    )
    assert Qualification.objects.filter(user=member, revoked_at__isnull=True).exists()


def test_revoking_on_the_page_asks_first_and_may_cancel_upcoming(member, trainer, microscopes, qualified):
    qualification = qualified()
    booking = bookings.reservation_create(actor=member, resource=microscopes["krios"], start=at(2, 9), end=at(2, 10))
    client = _as(trainer)
    asked = client.get(f"/training/qualifications/{qualification.pk}/revoke/").content.decode()
    assert "1 upcoming booking" in asked and "cancel_upcoming" in asked
    assert _as(member).get(f"/training/qualifications/{qualification.pk}/revoke/").status_code == 404
    done = client.post(
        f"/training/qualifications/{qualification.pk}/revoke/", {"reason": "Left", "cancel_upcoming": "on"}, follow=True
    )
    assert "1 upcoming booking(s) cancelled." in done.content.decode()
    booking.refresh_from_db()
    assert booking.status == ReservationStatus.CANCELLED


def test_the_admin_grants_and_revokes_through_the_services(site_admin, member, microscopes):
    client = _as(site_admin)
    added = client.post(
        "/admin/training/qualification/add/",
        {"user": member.pk, "requirement": microscopes["requirement"].pk, "expires_on": "", "note": "course"},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    qualification = Qualification.objects.get(user=member)
    assert qualification.granted_by == site_admin
    client.post(
        "/admin/training/qualification/",
        {"action": "revoke", "_selected_action": [qualification.pk]},
    )
    qualification.refresh_from_db()
    assert qualification.revoked_at is not None and qualification.revoked_by == site_admin
    listed = client.get("/admin/training/qualification/?revoked_at__isnull=False").content.decode()
    assert member.username in listed
