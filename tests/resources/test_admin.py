import pytest
from django.urls import reverse

from resources.models import Resource, ResourceType
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    site = SiteFactory(name="Berlin Lab")
    kind = ResourceTypeFactory(name="GPU server")
    server = ResourceFactory(site=site, resource_type=kind, name="dgx-01")
    gpu = ResourceFactory(site=site, resource_type=kind, name="dgx-01-gpu0", parent=server)
    return {"site": site, "type": kind, "server": server, "gpu": gpu}


@pytest.mark.parametrize("model", ["site", "resourcetype", "resource"])
def test_changelist_add_and_change_pages_load(admin_client, tree, model):
    obj = {"site": tree["site"], "resourcetype": tree["type"], "resource": tree["server"]}[model]
    for url in (
        reverse(f"admin:resources_{model}_changelist"),
        reverse(f"admin:resources_{model}_add"),
        reverse(f"admin:resources_{model}_change", args=[obj.pk]),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_changelist_filters_and_search(admin_client, tree):
    url = reverse("admin:resources_resource_changelist")
    response = admin_client.get(url, {"status__exact": "active", "q": "gpu0"})
    assert [r.name for r in response.context["cl"].result_list] == ["dgx-01-gpu0"]


def test_change_page_shows_tree_path_and_children(admin_client, tree):
    page = admin_client.get(reverse("admin:resources_resource_change", args=[tree["gpu"].pk])).content.decode()
    assert "dgx-01</a> → <a" in page
    page = admin_client.get(reverse("admin:resources_resource_change", args=[tree["server"].pk])).content.decode()
    assert "dgx-01-gpu0" in page  # the sub-resources inline


def test_bulk_status_action_goes_through_the_service(admin_client, tree):
    response = admin_client.post(
        reverse("admin:resources_resource_changelist"),
        {"action": "mark_maintenance", "_selected_action": [tree["server"].pk, tree["gpu"].pk]},
        follow=True,
    )
    assert "2 resources marked in maintenance." in response.content.decode()
    assert set(Resource.objects.values_list("status", flat=True)) == {"maintenance"}


def test_admin_form_refuses_a_cycle(admin_client, tree):
    server = tree["server"]
    response = admin_client.post(
        reverse("admin:resources_resource_change", args=[server.pk]),
        {
            "site": server.site_id,
            "resource_type": server.resource_type_id,
            "name": server.name,
            "status": "active",
            "parent": tree["gpu"].pk,
            "attributes": "{}",
            "children-TOTAL_FORMS": "1",
            "children-INITIAL_FORMS": "1",
            "children-MIN_NUM_FORMS": "0",
            "children-MAX_NUM_FORMS": "1000",
            "children-0-id": tree["gpu"].pk,
            "children-0-parent": server.pk,
        },
    )
    assert response.status_code == 200
    assert "would create a cycle" in response.content.decode()
    server.refresh_from_db()
    assert server.parent is None


def test_admin_add_and_edit_use_the_services(admin_client, tree):
    response = admin_client.post(
        reverse("admin:resources_resourcetype_add"),
        {"name": "FPGA", "color": "#AA00FF", "description": "", "parameter_schema": "[]"},
    )
    assert response.status_code == 302, response.content.decode()
    fpga = ResourceType.objects.get(name="FPGA")
    assert fpga.color == "#aa00ff"
    response = admin_client.post(
        reverse("admin:resources_resourcetype_change", args=[fpga.pk]),
        {"name": "FPGA card", "color": "#aa00ff", "description": "", "parameter_schema": "[]"},
    )
    assert response.status_code == 302
    fpga.refresh_from_db()
    assert fpga.name == "FPGA card"


def test_deleting_a_type_in_use_is_explained(admin_client, tree):
    response = admin_client.get(reverse("admin:resources_resourcetype_delete", args=[tree["type"].pk]))
    page = response.content.decode()
    assert "would require deleting the following protected related objects" in page
    assert ResourceType.objects.filter(pk=tree["type"].pk).exists()


def test_every_changelist_exports_what_it_shows_as_csv(client, admin_user, site_a):
    from tests.factories import ResourceFactory

    resource = ResourceFactory(site=site_a, name="csv-node")
    client.force_login(admin_user)
    response = client.post("/admin/resources/resource/", {"action": "export_csv", "_selected_action": [resource.pk]})
    lines = response.content.decode().splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert lines[0].split(",")[:3] == ["Name", "Site", "Resource type"]
    assert lines[1].startswith("csv-node,")
