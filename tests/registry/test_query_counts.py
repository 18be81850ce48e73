"""The registry's write paths' statement counts, pinned (issue 39), for a request with a personal
token: the token with its site roles, the site, the lock, the overlap check, the row (ON CONFLICT DO
NOTHING, no savepoint), its history, audit entry and event, and the response's dependencies. Here
the service's transaction is a savepoint inside the test's, as BEGIN and COMMIT are in production."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.models import Allocation

pytestmark = pytest.mark.django_db

GIVEN_PORT, NEXT_FREE_PORT = 12, 13


def _body(site, **extra):
    return {"site": site.pk, "resource_name": "x", "owner_service": "svc", **extra}


def test_allocating_a_given_port_and_the_next_free_one(member_token_api, site_a):
    calls = (
        ("/api/system-resources/", {"resource_type": "port", "resource_value": "8000"}, GIVEN_PORT),
        ("/api/system-resources/allocate-next-port/", {"start_port": 8000, "end_port": 8100}, NEXT_FREE_PORT),
    )
    member_token_api.post(
        calls[0][0], _body(site_a, resource_type="port", resource_value="7000"), format="json"
    )  # warm
    for url, extra, most in calls:
        with CaptureQueriesContext(connection) as queries:
            response = member_token_api.post(url, _body(site_a, **extra), format="json")
        assert response.status_code == 201, response.content
        assert len(queries.captured_queries) <= most, "\n".join(q["sql"][:90] for q in queries.captured_queries)
    assert sorted(Allocation.objects.values_list("port_number", flat=True)) == [7000, 8000, 8001]
