"""The hot paths' query counts, pinned: a regression fails here, not in a benchmark nobody reran.
Counts are statements, savepoints included, for a request authenticated with a personal token.
Here the service's transaction is a savepoint inside the test's: in production it is the outermost
one, and a create is two statements fewer (9 in a tree, 8 alone)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ResourceFactory, ResourceTypeFactory

from .conftest import at

pytestmark = pytest.mark.django_db

# (what, the most statements it may take). Creates: +1 since issue 38, the owner's default project;
# -1 since issue 39 at a site no project books at (the case here), which is known without a query.
CREATE_IN_TREE, CREATE_ALONE, READ_BOOKING, READ_RESOURCE = 11, 10, 2, 2


def counted(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, len(queries.captured_queries), [q["sql"][:90] for q in queries.captured_queries]


def test_creating_a_booking(member_token_api, tree, site_a):
    alone = ResourceFactory(site=site_a, resource_type=ResourceTypeFactory(site=site_a, name="Bench"), name="bench-1")
    for resource in (tree["gpu0"], alone):  # the first requests warm what is kept per process
        member_token_api.post(
            "/api/reservations/",
            {"resource": resource.pk, "start": at(1, 7).isoformat(), "end": at(1, 8).isoformat()},
            format="json",
        )
    for resource, most in ((tree["gpu0"], CREATE_IN_TREE), (alone, CREATE_ALONE)):
        body = {"resource": resource.pk, "start": at(1, 9).isoformat(), "end": at(1, 10).isoformat()}
        response, count, sql = counted(
            lambda body=body: member_token_api.post("/api/reservations/", body, format="json")
        )
        assert response.status_code == 201, response.content
        assert count <= most, "\n".join(sql)


def test_reading_one_booking_and_one_resource(member_token_api, member, tree):
    from reservations import services

    booking = services.reservation_create(actor=member, resource=tree["gpu1"], start=at(2, 9), end=at(2, 10))
    member_token_api.get(f"/api/reservations/{booking.pk}/")
    for url, most in (
        (f"/api/reservations/{booking.pk}/", READ_BOOKING),
        (f"/api/resources/{tree['server'].pk}/", READ_RESOURCE),
    ):
        response, count, sql = counted(lambda url=url: member_token_api.get(url))
        assert response.status_code == 200, response.content
        assert count <= most, "\n".join(sql)


# issue 39: 52 before (the lease's full_clean, each machine's event fields and allocations read
# again, the default project searched for at a site no project books at)
LEASE_OF_TWO = 35


def test_leasing_two_machines(member_token_api, site_a):
    kind = ResourceTypeFactory(site=site_a, name="Server")
    for i in range(4):
        ResourceFactory(site=site_a, resource_type=kind, name=f"server-{i}")

    def lease(hour):
        body = {
            "site": site_a.pk,
            "resource_type": kind.pk,
            "count": 2,
            "start": at(1, hour).isoformat(),
            "end": at(1, hour + 1).isoformat(),
        }
        return member_token_api.post("/api/leases/", body, format="json")

    assert lease(7).status_code == 201  # warm what is kept per process
    response, count, sql = counted(lambda: lease(9))
    assert response.status_code == 201, response.content
    assert count <= LEASE_OF_TWO, "\n".join(sql)
    assert len(response.json()["bookings"]) == 2
