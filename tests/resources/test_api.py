import pytest

from resources.models import Resource, ResourceType
from tenancy.models import Site
from tests.factories import ResourceFactory, ResourceTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(site_a, site_b):
    berlin, boston = site_a, site_b
    server = ResourceTypeFactory(name="GPU server", color="#e15759")
    gpu = ResourceTypeFactory(name="GPU", color="#f28e2b")
    microscope = ResourceTypeFactory(site=berlin, name="Microscope")
    dgx = ResourceFactory(site=berlin, resource_type=server, name="dgx-01", specs="8x A100")
    gpus = [ResourceFactory(site=berlin, resource_type=gpu, name=f"dgx-01-gpu{i}", parent=dgx) for i in range(2)]
    krios = ResourceFactory(site=berlin, resource_type=microscope, name="Krios-1", status="maintenance")
    hgx = ResourceFactory(site=boston, resource_type=server, name="hgx-02", location="Row 4")
    return {
        "berlin": berlin,
        "boston": boston,
        "server": server,
        "gpu": gpu,
        "microscope": microscope,
        "dgx": dgx,
        "gpus": gpus,
        "krios": krios,
        "hgx": hgx,
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


class TestSites:
    def test_create_derives_the_slug(self, admin_api):
        response = admin_api.post(
            "/api/sites/", {"name": "Paris Lab", "time_zone": "Europe/Paris", "location": "Saclay"}, format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["slug"] == "paris-lab"
        assert body["resource_count"] == 0
        assert Site.objects.get(slug="paris-lab").time_zone == "Europe/Paris"

    def test_invalid_time_zone_and_duplicate_name_are_field_errors(self, admin_api, catalogue):
        response = admin_api.post("/api/sites/", {"name": "Berlin Lab", "time_zone": "Berlin"}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid"
        assert body["errors"]["time_zone"] == ["Berlin is not an IANA time zone (for example Europe/Berlin or UTC)."]
        assert body["errors"]["name"] == ["Site with this Name already exists."]
        assert body["detail"].startswith("Invalid input:")

    def test_a_site_with_resources_cannot_be_deleted(self, admin_api, catalogue):
        response = admin_api.delete(f"/api/sites/{catalogue['boston'].pk}/")
        assert response.status_code == 409
        assert response.json()["code"] == "in_use"
        assert "hgx-02" in response.json()["detail"]


class TestResourceTypes:
    def test_create_with_a_parameter_schema(self, admin_api, catalogue):
        schema = [{"key": "os_image", "label": "OS", "type": "choice", "required": True, "choices": ["a", "b"]}]
        response = admin_api.post(
            "/api/resource-types/",
            {"name": "FPGA", "color": "#AABBCC", "site": catalogue["berlin"].pk, "parameter_schema": schema},
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["color"] == "#aabbcc"
        assert body["site_name"] == "Berlin Lab"
        assert body["parameter_schema"] == schema

    def test_bad_schema_and_color_are_explained(self, admin_api):
        response = admin_api.post(
            "/api/resource-types/",
            {"name": "FPGA", "color": "blue", "parameter_schema": [{"key": "k", "label": "K", "type": "choice"}]},
            format="json",
        )
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert errors["color"] == ["Enter a color as #rrggbb, for example #1f77b4."]
        assert errors["parameter_schema"] == ["Parameter 1 (k): a choice parameter needs a non-empty list of choices."]

    def test_deleting_a_type_in_use_is_a_conflict_naming_the_resources(self, admin_api, catalogue):
        response = admin_api.delete(f"/api/resource-types/{catalogue['gpu'].pk}/")
        assert response.status_code == 409
        body = response.json()
        assert body["detail"] == (
            "Resource type 'GPU (all sites)' is in use by 2 resources: dgx-01-gpu0, dgx-01-gpu1. "
            "Reassign or delete them first."
        )
        assert [item["name"] for item in body["in_use_by"]] == ["dgx-01-gpu0", "dgx-01-gpu1"]
        assert ResourceType.objects.filter(pk=catalogue["gpu"].pk).exists()

    def test_available_at_lists_site_and_global_types(self, admin_api, catalogue):
        response = admin_api.get(f"/api/resource-types/?available_at={catalogue['boston'].pk}")
        assert names(response) == ["GPU", "GPU server"]
        response = admin_api.get(f"/api/resource-types/?available_at={catalogue['berlin'].pk}")
        assert names(response) == ["GPU", "GPU server", "Microscope"]


class TestResources:
    def test_detail_exposes_tree_type_and_site(self, admin_api, catalogue):
        response = admin_api.get(f"/api/resources/{catalogue['dgx'].pk}/")
        assert response.status_code == 200
        body = response.json()
        assert body["site_name"] == "Berlin Lab"
        assert body["type_name"] == "GPU server"
        assert body["type_color"] == "#e15759"
        assert body["parent"] is None
        assert body["children"] == [g.pk for g in catalogue["gpus"]]
        gpu = admin_api.get(f"/api/resources/{catalogue['gpus'][0].pk}/").json()
        assert gpu["parent"] == catalogue["dgx"].pk
        assert gpu["parent_name"] == "dgx-01"
        assert gpu["children"] == []

    def test_create_update_delete(self, admin_api, catalogue):
        response = admin_api.post(
            "/api/resources/",
            {
                "site": catalogue["berlin"].pk,
                "resource_type": catalogue["gpu"].pk,
                "name": "dgx-01-gpu2",
                "parent": catalogue["dgx"].pk,
                "attributes": {"index": 2},
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        created = response.json()
        assert created["status"] == "active"
        assert created["parent"] == catalogue["dgx"].pk
        assert created["children"] == []
        parent = admin_api.get(f"/api/resources/{catalogue['dgx'].pk}/").json()
        assert created["id"] in parent["children"]

        response = admin_api.patch(f"/api/resources/{created['id']}/", {"specs": "A100 80GB"}, format="json")
        assert response.status_code == 200
        assert response.json()["specs"] == "A100 80GB"

        assert admin_api.delete(f"/api/resources/{created['id']}/").status_code == 204
        assert not Resource.objects.filter(pk=created["id"]).exists()

    def test_patch_of_status_alone(self, admin_api, catalogue):
        response = admin_api.patch(f"/api/resources/{catalogue['dgx'].pk}/", {"status": "maintenance"}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == "maintenance"
        assert Resource.objects.get(pk=catalogue["dgx"].pk).status == "maintenance"

    def test_unknown_status_is_a_field_error(self, admin_api, catalogue):
        response = admin_api.patch(f"/api/resources/{catalogue['dgx'].pk}/", {"status": "broken"}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"] == {"status": ['"broken" is not a valid choice.']}

    def test_cross_site_parent_is_a_400_on_the_parent_field(self, admin_api, catalogue):
        response = admin_api.post(
            "/api/resources/",
            {
                "site": catalogue["boston"].pk,
                "resource_type": catalogue["gpu"].pk,
                "name": "stray-gpu",
                "parent": catalogue["dgx"].pk,
            },
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["errors"] == {
            "parent": ["The parent 'dgx-01' is at another site; parent and child share a site."]
        }

    def test_cycle_is_a_400(self, admin_api, catalogue):
        response = admin_api.patch(
            f"/api/resources/{catalogue['dgx'].pk}/", {"parent": catalogue["gpus"][0].pk}, format="json"
        )
        assert response.status_code == 400
        assert "would create a cycle" in response.json()["errors"]["parent"][0]

    def test_duplicate_name_is_a_400(self, admin_api, catalogue):
        response = admin_api.post(
            "/api/resources/",
            {"site": catalogue["berlin"].pk, "resource_type": catalogue["server"].pk, "name": "dgx-01"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["errors"] == {
            "non_field_errors": ["A resource with this name already exists at this site."]
        }

    def test_missing_fields_and_wrong_types(self, admin_api):
        response = admin_api.post("/api/resources/", {"attributes": [1]}, format="json")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert errors["name"] == ["This field is required."]
        assert errors["site"] == ["This field is required."]
        assert errors["resource_type"] == ["This field is required."]

    def test_non_object_attributes_are_refused(self, admin_api, catalogue):
        response = admin_api.patch(f"/api/resources/{catalogue['dgx'].pk}/", {"attributes": [1, 2]}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"] == {"attributes": ["Must be a JSON object of key: value."]}

    def test_malformed_json_is_a_400(self, admin_api):
        response = admin_api.generic("POST", "/api/resources/", "{not json", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"

    def test_missing_object_is_a_404_in_the_same_shape(self, admin_api):
        response = admin_api.get("/api/resources/999999/")
        assert response.status_code == 404
        assert response.json() == {"detail": "No Resource matches the given query.", "code": "not_found", "errors": {}}


class TestFiltering:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("site_slug=boston", ["hgx-02"]),
            ("status=maintenance", ["Krios-1"]),
            ("status=maintenance&status=active&site_slug=berlin", ["dgx-01", "dgx-01-gpu0", "dgx-01-gpu1", "Krios-1"]),
            ("is_root=true&site_slug=berlin", ["dgx-01", "Krios-1"]),
            ("search=a100", ["dgx-01"]),
            ("search=row 4", ["hgx-02"]),
            ("ordering=-name&site_slug=berlin", ["Krios-1", "dgx-01-gpu1", "dgx-01-gpu0", "dgx-01"]),
        ],
    )
    def test_filters(self, admin_api, catalogue, query, expected):
        assert names(admin_api.get(f"/api/resources/?{query}")) == expected

    def test_filter_by_ids(self, admin_api, catalogue):
        assert names(admin_api.get(f"/api/resources/?site={catalogue['boston'].pk}")) == ["hgx-02"]
        assert names(admin_api.get(f"/api/resources/?type={catalogue['gpu'].pk}")) == ["dgx-01-gpu0", "dgx-01-gpu1"]
        assert names(admin_api.get(f"/api/resources/?parent={catalogue['dgx'].pk}")) == ["dgx-01-gpu0", "dgx-01-gpu1"]

    def test_bad_filter_values_are_400s(self, admin_api, catalogue):
        response = admin_api.get("/api/resources/?type=abc&status=broken")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert errors["type"] == ["Enter a number."]
        assert "broken is not one of the available choices" in errors["status"][0]
        assert admin_api.get("/api/resources/?site=abc").json()["count"] == 0  # a slug no site has

    def test_pagination(self, admin_api, catalogue):
        body = admin_api.get("/api/resources/?page_size=2&ordering=name").json()
        assert body["count"] == 5
        assert [r["name"] for r in body["results"]] == ["dgx-01", "dgx-01-gpu0"]
        assert body["next"].endswith("page=2&page_size=2") or "page=2" in body["next"]

    def test_list_rows_equal_the_serializers_output(self, admin_api, catalogue):
        """The list is made from rows (common.api.row_lists); each page must be what the
        serializer gives for the same resources, in the same order, across pages."""
        from rest_framework.test import APIRequestFactory

        from resources.api.serializers import ResourceSerializer
        from resources.selectors import resource_list

        catalogue["dgx"].attributes = {"rack": 4, "tags": ["a"]}
        catalogue["dgx"].save()
        request = APIRequestFactory().get("/api/resources/")
        request.user = admin_api.handler._force_user
        expected = ResourceSerializer(resource_list(user=request.user), many=True, context={"request": request}).data
        pages = [admin_api.get(f"/api/resources/?page_size=2&page={n}").json()["results"] for n in (1, 2, 3)]
        assert [row for page in pages for row in page] == [dict(row) for row in expected]
        assert [r["children"] for r in expected if r["name"] == "dgx-01"] == [[g.pk for g in catalogue["gpus"]]]

    def test_list_query_count_does_not_grow_with_rows(self, admin_api, catalogue, django_assert_max_num_queries):
        for _ in range(30):
            ResourceFactory(site=catalogue["berlin"], resource_type=catalogue["gpu"], parent=catalogue["dgx"])
        with django_assert_max_num_queries(5):
            assert admin_api.get("/api/resources/?page_size=100").status_code == 200
