"""The booked resource is read by one plain statement with its site, type and parent (issue 39); it
answers as the scoped lookup did: another site's resource, or an id that is not one, is a field error."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from resources.selectors import resource_for_booking
from tests.factories import ResourceFactory, ResourceTypeFactory

from .conftest import at

pytestmark = pytest.mark.django_db


def test_the_resource_comes_with_its_site_type_and_parent_in_one_statement(member, tree):
    with CaptureQueriesContext(connection) as queries:
        found = resource_for_booking(user=member, pk=tree["microscope"].pk)
        assert (found.site, found.resource_type.name, found.parent) == (tree["server"].site, "Microscope", None)
        assert found.resource_type.parameter_schema[0]["key"] == "sample"  # JSON read as Django reads it
        gpu = resource_for_booking(user=member, pk=tree["gpu0"].pk)  # the second statement
        assert gpu.parent.name == "dgx-01"
    assert len([q for q in queries.captured_queries if "resources_resource" in q["sql"]]) == 2  # one each


def test_another_sites_resource_is_not_found(outsider, tree):
    assert resource_for_booking(user=outsider, pk=tree["gpu0"].pk) is None


@pytest.mark.parametrize(
    "value, message",
    [("abc", "Incorrect type"), (True, "Incorrect type"), ([1], "Incorrect type"), (2**70, "does not exist"),
     (0, "does not exist"), (-5, "does not exist")],
)  # fmt: skip
def test_an_id_that_is_not_one_is_a_field_error(member_api, value, message):
    answer = member_api.post("/api/reservations/", {"resource": value, "start": at(1, 9).isoformat(),
                                                    "end": at(1, 10).isoformat()}, format="json")  # fmt: skip
    assert answer.status_code == 400 and message in str(answer.json()["errors"]["resource"])


def test_a_resource_of_another_site_is_a_field_error_not_a_leak(outsider_api, site_a):
    hidden = ResourceFactory(site=site_a, resource_type=ResourceTypeFactory(site=site_a), name="hidden")
    answer = outsider_api.post("/api/reservations/", {"resource": hidden.pk, "start": at(1, 9).isoformat(),
                                                      "end": at(1, 10).isoformat()}, format="json")  # fmt: skip
    assert answer.status_code == 400 and "does not exist" in str(answer.json()["errors"]["resource"])


def test_one_resource_reads_as_the_list_shows_it_with_a_single_resource_statement(member_api, tree):
    from django.db import connection as conn

    listed = {r["id"]: r for r in member_api.get("/api/resources/?page_size=100").json()["results"]}
    for resource in tree.values():
        with CaptureQueriesContext(conn) as queries:
            one = member_api.get(f"/api/resources/{resource.pk}/")
        assert one.status_code == 200 and one["ETag"]
        assert one.json() == listed[resource.pk]
        assert len([q for q in queries.captured_queries if "resources_resource" in q["sql"]]) == 1


def test_one_resource_of_another_site_is_a_404(outsider_api, tree):
    assert outsider_api.get(f"/api/resources/{tree['server'].pk}/").status_code == 404
    assert outsider_api.get("/api/resources/999999999/").status_code == 404
