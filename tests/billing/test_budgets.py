"""Hour budgets decide who may book: refused with 409 `budget_exceeded` saying what is left,
race-proof, and hours come back when time is cancelled."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from billing.models import BookingProject
from common.exceptions import Conflict
from reservations import services as bookings
from reservations.models import HOLDING, Reservation
from tests.concurrency import race
from tests.reservations.conftest import at


@pytest.mark.django_db
def test_a_booking_past_the_budget_is_refused_saying_what_is_left(api_for, member, site_admin, project, gpus):
    services.budget_save(
        actor=site_admin, project=project, resource_type=gpus["type"], period="project", hours=Decimal(3)
    )
    services.default_project_set(actor=member, project=project)
    api = api_for(member)
    first = api.post("/api/reservations/", {"resource": gpus["gpu-0"].pk, "start": at(1, 9).isoformat(),
                                            "end": at(1, 11).isoformat()}, format="json")  # fmt: skip
    assert first.status_code == 201, first.content
    assert BookingProject.objects.get(reservation_id=first.json()["id"]).project == project
    second = api.post("/api/reservations/", {"resource": gpus["gpu-1"].pk, "start": at(1, 9).isoformat(),
                                             "end": at(1, 11).isoformat()}, format="json")  # fmt: skip
    assert second.status_code == 409
    body = second.json()
    assert body["code"] == "budget_exceeded" and body["remaining_hours"] == "1.00"
    assert "ERC-101 has 1.00 h of GPU server left" in body["detail"]
    bookings.reservation_cancel(actor=member, reservation=Reservation.objects.get(pk=first.json()["id"]))
    again = api.post("/api/reservations/", {"resource": gpus["gpu-1"].pk, "start": at(1, 9).isoformat(),
                                            "end": at(1, 11).isoformat()}, format="json")  # fmt: skip
    assert again.status_code == 201  # the cancelled hours came back (no rate: no late-cancel charge)
    state = api.get(f"/api/projects/{project.pk}/budgets/").json()[0]
    assert (state["hours"], state["committed"], state["remaining"]) == ("3.00", "2.00", "1.00")


@pytest.mark.django_db
def test_a_site_that_requires_projects_refuses_bookings_without_one(api_for, outsider, site_admin, site_a, gpus):
    services.site_billing_save(actor=site_admin, site=site_a, project_required=True)
    from tenancy.models import Membership, Role

    Membership.objects.create(site=site_a, user=outsider, role=Role.MEMBER)
    refused = api_for(outsider).post("/api/reservations/", {"resource": gpus["gpu-0"].pk, "start": at(1, 9).isoformat(),
                                                            "end": at(1, 10).isoformat()}, format="json")  # fmt: skip
    assert refused.status_code == 400 and "charged to a project" in refused.json()["errors"]["project"][0]


@pytest.mark.django_db(transaction=True)
def test_sixteen_parallel_bookings_against_five_hours_give_exactly_five(member, site_admin, project, gpus):
    services.budget_save(
        actor=site_admin, project=project, resource_type=gpus["type"], period="month", hours=Decimal(5)
    )
    services.default_project_set(actor=member, project=project)
    start = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    start = start.replace(day=min(start.day, 27)) if start.month == (start + timedelta(hours=2)).month else start

    def book(i):
        return lambda: bookings.reservation_create(
            actor=member, resource=gpus[f"gpu-{i}"], start=start, end=start + timedelta(hours=1)
        )

    outcomes = race([book(i) for i in range(16)])
    made = [o for o in outcomes if isinstance(o, Reservation)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(made) == 5 and len(refused) == 11, outcomes
    assert all(o.code == "budget_exceeded" for o in refused)
    assert Reservation.objects.filter(status__in=HOLDING).count() == 5
    assert BookingProject.objects.filter(project=project).count() == 5
