from datetime import timedelta

import pytest
from django.utils import timezone

from observability.explorer import explorer_tree
from reservations.models import Reservation
from tests.factories import ResourceFactory, ResourceTypeFactory
from webhooks.models import ScopeKind, Webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(site_a, site_b, member):
    server_kind, gpu_kind = ResourceTypeFactory(name="GPU server"), ResourceTypeFactory(name="GPU")
    server = ResourceFactory(site=site_a, resource_type=server_kind, name="dgx-01", specs="8x A100")
    gpus = [ResourceFactory(site=site_a, resource_type=gpu_kind, name=f"gpu{i}", parent=server) for i in range(2)]
    ResourceFactory(site=site_a, resource_type=gpu_kind, name="loose-gpu", status="maintenance")
    ResourceFactory(site=site_b, resource_type=server_kind, name="boston-box")
    now = timezone.now()
    running = Reservation.objects.create(
        resource=gpus[0], owner=member, start=now - timedelta(hours=1), end=now + timedelta(hours=2), title="Training"
    )
    later = Reservation.objects.create(
        resource=gpus[0], owner=member, start=now + timedelta(days=1), end=now + timedelta(days=1, hours=1)
    )
    Reservation.objects.create(  # a later one that must not be shown as "next"
        resource=gpus[0], owner=member, start=now + timedelta(days=2), end=now + timedelta(days=2, hours=1)
    )
    hooks = {
        "site": Webhook(site=site_a, name="all", url="https://hooks.example.org/a", scope=ScopeKind.SITE),
        "tree": Webhook(
            site=site_a, name="tree", url="https://hooks.example.org/b", scope=ScopeKind.RESOURCE_TREE, resource=server
        ),
        "gpu1": Webhook(
            site=site_a, name="gpu1", url="https://hooks.example.org/c", scope=ScopeKind.RESOURCE, resource=gpus[1]
        ),
        "type": Webhook(
            site=site_a, name="types", url="https://hooks.example.org/d", scope=ScopeKind.RESOURCE_TYPE,
            resource_type=server_kind,
        ),
        "boston": Webhook(site=site_b, name="boston", url="https://hooks.example.org/e"),
    }  # fmt: skip
    Webhook.objects.bulk_create(hooks.values())
    return {"server": server, "gpus": gpus, "running": running, "later": later}


def _rows(tree):
    return {node.resource.name: node for entry in tree for group in entry["types"] for node in group["nodes"]}


def test_tree_by_site_and_type_with_current_and_next_booking(site_admin, lab, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        tree = explorer_tree(user=site_admin)
    assert [entry["site"].name for entry in tree] == ["Berlin Lab"]
    groups = [(g["type"].name, [(n.resource.name, n.depth) for n in g["nodes"]]) for g in tree[0]["types"]]
    assert groups == [
        ("GPU", [("loose-gpu", 0)]),
        ("GPU server", [("dgx-01", 0), ("gpu0", 1), ("gpu1", 1)]),
    ]
    rows = _rows(tree)
    assert rows["gpu0"].current == lab["running"] and rows["gpu0"].next == lab["later"]
    assert rows["gpu1"].current is None and rows["gpu1"].next is None
    # site-wide + tree of dgx-01 (+ its type for the server itself, + its own hook for gpu1)
    assert (rows["dgx-01"].webhooks, rows["gpu0"].webhooks, rows["gpu1"].webhooks) == (3, 2, 3)
    assert rows["loose-gpu"].webhooks == 1


def test_search_and_status_keep_the_path_to_matches(admin_user, lab):
    rows = _rows(explorer_tree(user=admin_user, search="gpu1"))
    assert sorted(rows) == ["dgx-01", "gpu1"]
    rows = _rows(explorer_tree(user=admin_user, status="maintenance"))
    assert sorted(rows) == ["loose-gpu"]
    assert len(explorer_tree(user=admin_user)) == 2


def test_page_links_to_calendar_webhooks_and_history(client, site_admin, member, lab):
    client.force_login(site_admin)
    page = client.get("/explorer/").content.decode()
    gpu0 = lab["gpus"][0].pk
    assert f"/resources/{gpu0}/calendar/" in page
    assert f"/webhooks/?resource={gpu0}" in page and "Webhooks (2)" in page
    assert f"/audit/?object_type=resources.resource&amp;object_id={gpu0}" in page
    assert "Training" in page and "boston-box" not in page
    webhooks = client.get(f"/webhooks/?resource={gpu0}").content.decode()
    assert "Webhooks that fire for <strong>gpu0</strong>" in webhooks
    table = webhooks[webhooks.index('id="webhook-health"') :].split("</table>")[0]
    assert ">all<" in table and ">tree<" in table and ">gpu1<" not in table and ">types<" not in table
    client.force_login(member)
    assert client.get("/explorer/").status_code == 403


def test_site_admin_cannot_filter_webhooks_by_a_resource_of_another_site(client, site_admin, lab):
    client.force_login(site_admin)
    other = type(lab["server"]).objects.get(name="boston-box")
    assert client.get(f"/webhooks/?resource={other.pk}").status_code == 404


def test_a_type_counts_its_own_and_a_machine_out_of_service_is_not_free(client, site_admin, lab):
    counts = {g["type"].name: g["count"] for g in explorer_tree(user=site_admin)[0]["types"]}
    assert counts == {"GPU": 1, "GPU server": 1}  # dgx-01's GPUs are listed under it, not counted as servers
    client.force_login(site_admin)
    page = client.get("/explorer/").content.decode()
    assert "(1 resource and their parts)" in page
    loose = page[page.index('data-resource="loose-gpu"') :]
    assert "out of service" in loose[: loose.index("</tr>")]
