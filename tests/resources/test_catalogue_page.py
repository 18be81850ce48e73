"""The catalogue: every resource links to its calendar and a booking form, says whether it is free
now (its tree included), and can be searched by name, specs or attribute values."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import services
from tests.factories import ResourceFactory, ResourceTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(site_a):
    gpu_type = ResourceTypeFactory(name="GPU server")
    scope_type = ResourceTypeFactory(name="Microscope")
    server = ResourceFactory(site=site_a, resource_type=gpu_type, name="dgx-01", attributes={"gpu": "A100"})
    return {
        "server": server,
        "gpu": ResourceFactory(site=site_a, resource_type=gpu_type, name="dgx-01-gpu0", parent=server),
        "other": ResourceFactory(site=site_a, resource_type=gpu_type, name="hgx-02", attributes={"gpu": "H100"}),
        "scope": ResourceFactory(site=site_a, resource_type=scope_type, name="krios", status="maintenance"),
    }


def row(page: str, name: str) -> str:
    start = page.index(f'data-resource="{name}"')
    return page[start : page.index("</tr>", start)]


def test_each_resource_says_if_it_is_free_now_and_links_to_booking(client, member, site_admin, lab):
    now = timezone.now()
    services.reservation_create(
        actor=site_admin, resource=lab["server"], start=now - timedelta(minutes=30), end=now + timedelta(hours=2)
    )
    client.force_login(member)
    page = client.get("/").content.decode()
    assert "busy until" in row(page, "dgx-01") and "busy until" in row(page, "dgx-01-gpu0")  # the tree counts
    assert "free now" in row(page, "hgx-02")
    assert "In maintenance" in row(page, "krios") and "Book" not in row(page, "krios")
    assert f'href="/reservations/new/?resource={lab["other"].pk}"' in row(page, "hgx-02")
    assert f'href="/resources/{lab["other"].pk}/calendar/"' in row(page, "hgx-02")


def test_search_covers_attribute_values_and_filters_narrow_the_list(client, member, lab):
    client.force_login(member)
    page = client.get("/", {"search": "h100"}).content.decode()
    assert 'data-resource="hgx-02"' in page and 'data-resource="dgx-01"' not in page
    page = client.get("/", {"type": lab["scope"].resource_type_id}).content.decode()
    assert 'data-resource="krios"' in page and 'data-resource="hgx-02"' not in page
    page = client.get("/", {"status": "active", "search": "dgx"}).content.decode()
    assert 'data-resource="dgx-01-gpu0"' in page and 'data-resource="krios"' not in page
    page = client.get("/", {"search": "nothing-like-this"}).content.decode()
    assert "Nothing here matches." in page


def test_the_catalogue_reads_every_resources_occupancy_in_a_fixed_number_of_queries(
    client, member, site_a, django_assert_max_num_queries
):
    kind = ResourceTypeFactory(name="Node")
    for i in range(30):
        ResourceFactory(site=site_a, resource_type=kind, name=f"node{i:02d}")
    client.force_login(member)
    client.get("/")  # session, roles
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200
