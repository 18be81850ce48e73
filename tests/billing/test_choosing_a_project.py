"""A booking is charged to a project its owner belongs to: chosen on the form or in the API, else the
default one; changeable while upcoming; never one of someone else."""

from datetime import date, timedelta

import pytest
from django.test import Client

from billing import services
from billing.models import BookingProject
from reservations import services as bookings
from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.reservations.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(site_admin, site_a, pi, member):
    made = services.project_create(actor=site_admin, name="Imaging", code="DFG-7", pi=pi, sites=[site_a],
                                   starts_on=date.today() - timedelta(days=10))  # fmt: skip
    services.member_add(actor=pi, project=made, user=member)
    return made


def test_the_form_offers_the_members_projects_and_charges_the_chosen_one(member, project, second, gpus):
    services.default_project_set(actor=member, project=project)
    client = Client()
    client.force_login(member)
    form = client.get(f"/reservations/new/?resource={gpus['gpu-0'].pk}").content.decode()
    assert "Charge to" in form and "ERC-101 · Protein folding" in form and "DFG-7 · Imaging" in form
    posted = client.post(
        "/reservations/new/",
        {
            "resource": gpus["gpu-0"].pk,
            "start": at(1, 9).strftime("%Y-%m-%dT%H:%M"),
            "end": at(1, 10).strftime("%Y-%m-%dT%H:%M"),
            "project": second.pk,
        },
    )
    assert posted.status_code == 302, posted.content.decode()[:3000]
    booking = Reservation.objects.get()
    assert BookingProject.objects.get(reservation=booking).project == second
    page = client.get(f"/reservations/{booking.pk}/").content.decode()
    assert "DFG-7" in page and "Change project" in page
    client.post(f"/reservations/{booking.pk}/project/", {"project": project.pk})
    assert BookingProject.objects.get(reservation=booking).project == project


def test_the_api_takes_a_project_and_refuses_a_foreign_one(api_for, member, outsider, project, second, gpus,
                                                           site_admin, site_b):  # fmt: skip
    made = api_for(member).post(
        "/api/reservations/",
        {"resource": gpus["gpu-0"].pk, "start": at(1, 9).isoformat(), "end": at(1, 10).isoformat(),
         "project": second.pk},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    assert BookingProject.objects.get(reservation_id=made.json()["id"]).project == second
    elsewhere = services.project_create(actor=None, name="Boston", code="B-1", pi=outsider, sites=[site_b],
                                        starts_on=date.today())  # fmt: skip
    refused = api_for(member).post(
        "/api/reservations/",
        {"resource": gpus["gpu-1"].pk, "start": at(1, 9).isoformat(), "end": at(1, 10).isoformat(),
         "project": elsewhere.pk},
        format="json",
    )  # fmt: skip
    assert refused.status_code == 400 and "project" in refused.json()["errors"]
    moved = api_for(member).put(f"/api/reservations/{made.json()['id']}/project/", {"project": project.pk},
                                format="json")  # fmt: skip
    assert moved.status_code == 200 and moved.json() == {"project": project.pk}
    foreign = api_for(member).put(f"/api/reservations/{made.json()['id']}/project/", {"project": elsewhere.pk},
                                  format="json")  # fmt: skip
    assert foreign.status_code == 400


def test_the_pi_adds_and_removes_members_on_the_project_page(pi, member, project, site_a):
    from tenancy.models import Membership, Role
    from tests.factories import UserFactory

    newcomer = UserFactory(username="newbie")
    Membership.objects.create(site=site_a, user=newcomer, role=Role.MEMBER)
    client = Client()
    client.force_login(pi)
    client.post(f"/projects/{project.pk}/", {"action": "add", "username": "newbie"})
    assert project.members.filter(user=newcomer).exists()
    client.post(f"/projects/{project.pk}/", {"action": "add", "username": "nobody-here"})
    member_row = project.members.get(user=newcomer)
    client.post(f"/projects/{project.pk}/", {"action": "remove", "member": member_row.pk})
    assert not project.members.filter(user=newcomer).exists()
    other = Client()
    other.force_login(member)  # a member who is not the PI may not
    other.post(f"/projects/{project.pk}/", {"action": "add", "username": "newbie"})
    assert not project.members.filter(user=newcomer).exists()


def test_a_lease_through_the_api_charges_each_machine_to_the_chosen_project(api_for, member, project, second, gpus,
                                                                             site_a):  # fmt: skip
    made = api_for(member).post(
        "/api/leases/",
        {"site": site_a.pk, "resource_type": gpus["type"].pk, "count": 2, "start": at(1, 9).isoformat(),
         "end": at(1, 10).isoformat(), "project": second.pk},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    booked = [b["id"] for b in made.json()["bookings"]]
    assert len(booked) == 2
    assert {p.project for p in BookingProject.objects.filter(reservation_id__in=booked)} == {second}


def test_a_lease_refuses_a_project_the_owner_is_not_in_and_books_nothing(api_for, member, outsider, project, gpus,
                                                                          site_a, site_b):  # fmt: skip
    elsewhere = services.project_create(actor=None, name="Boston", code="B-1", pi=outsider, sites=[site_b],
                                        starts_on=date.today())  # fmt: skip
    refused = api_for(member).post(
        "/api/leases/",
        {"site": site_a.pk, "resource_type": gpus["type"].pk, "count": 2, "start": at(1, 9).isoformat(),
         "end": at(1, 10).isoformat(), "project": elsewhere.pk},
        format="json",
    )  # fmt: skip
    assert refused.status_code == 400 and "project" in refused.json()["errors"]
    assert not Reservation.objects.exists()


def test_the_find_and_book_page_offers_the_members_projects_and_charges_the_chosen_one(member, project, second,
                                                                                       gpus, site_a):  # fmt: skip
    client = Client()
    client.force_login(member)
    page = client.get("/leases/new/").content.decode()
    assert "Charge to" in page and "DFG-7 · Imaging" in page
    form = {
        "site": site_a.pk, "resource_type": gpus["type"].pk, "count": 2, "hours": "1",
        "window_start": at(1, 9).strftime("%Y-%m-%dT%H:%M"), "window_end": at(1, 12).strftime("%Y-%m-%dT%H:%M"),
        "project": second.pk,
    }  # fmt: skip
    found = client.get("/leases/new/", form).content.decode()
    assert f'name="project" value="{second.pk}"' in found  # carried to the Book button's form
    posted = client.post("/leases/new/", {**form, "start": at(1, 9).isoformat()})
    assert posted.status_code == 302, posted.content.decode()[:3000]
    assert {p.project for p in BookingProject.objects.all()} == {second}
    assert BookingProject.objects.count() == 2


def test_a_site_no_project_books_at_skips_the_search_until_one_may(member, pi, gpus, site_a, site_b):
    """Whether any project books at a site is kept per process by the site's configuration version
    (issue 39); linking a project to the site raises it, so the next booking finds the default."""
    for person in (pi, member):
        Membership.objects.create(site=site_b, user=person, role=Role.MEMBER)
    made = services.project_create(
        actor=None, name="Elsewhere", code="ERC-202", pi=pi, sites=[site_b],
        starts_on=date.today() - timedelta(days=30),
    )  # fmt: skip
    services.member_add(actor=pi, project=made, user=member)
    services.default_project_set(actor=member, project=made)
    first = bookings.reservation_create(actor=member, resource=gpus["gpu-0"], start=at(1, 9), end=at(1, 10))
    assert not BookingProject.objects.filter(reservation=first).exists()

    made.sites.add(site_a)
    second = bookings.reservation_create(actor=member, resource=gpus["gpu-1"], start=at(1, 9), end=at(1, 10))
    assert BookingProject.objects.get(reservation=second).project == made
