"""Each role x each endpoint x read/write, own site and other site, written once as data.

Roles: anon, outsider (member of Boston), member (of Berlin), site_admin (of Berlin), admin (global).
Objects of sites a user cannot see are 404, not 403; writes the role does not allow are 403.
"""

import pytest

from tenancy.models import Membership, Role
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

ROLES = ["anon", "outsider", "member", "site_admin", "admin"]


@pytest.fixture
def world(site_a, site_b, admin_user, site_admin, member, outsider):
    shared = ResourceTypeFactory(site=None, name="GPU")
    type_a = ResourceTypeFactory(site=site_a, name="Microscope")
    type_b = ResourceTypeFactory(site=site_b, name="Compute node")
    resource_a = ResourceFactory(site=site_a, resource_type=shared, name="dgx-01")
    resource_b = ResourceFactory(site=site_b, resource_type=type_b, name="cn-01")
    empty = SiteFactory(name="Paris", slug="paris")
    newcomer = UserFactory(username="newcomer")
    return {
        "site_a": site_a,
        "site_b": site_b,
        "empty_site": empty,
        "shared_type": shared,
        "type_a": type_a,
        "type_b": type_b,
        "resource_a": resource_a,
        "resource_b": resource_b,
        "users": {"admin": admin_user, "site_admin": site_admin, "member": member, "outsider": outsider},
        "newcomer": newcomer,
        "member_membership": Membership.objects.get(user=member),
        "outsider_membership": Membership.objects.get(user=outsider),
    }


def client_for(role, world, api_for):
    return api_for(world["users"].get(role))


def ids(world) -> dict:
    return {key: value.pk for key, value in world.items() if hasattr(value, "pk") and not isinstance(value, dict)} | {
        f"{name}_user": user.pk for name, user in world["users"].items()
    }


def row(method, url, expected: dict, body=None):
    expected = {"anon": 401, **expected}  # nobody unauthenticated gets anything
    assert set(expected) == set(ROLES), f"{method} {url} must say what every role gets"
    return pytest.param(method, url, body, expected, id=f"{method} {url}")


MATRIX = [
    # --- sites ---
    row("get", "/api/sites/", dict(anon=401, outsider=200, member=200, site_admin=200, admin=200)),
    row("get", "/api/sites/{site_a}/", dict(anon=401, outsider=404, member=200, site_admin=200, admin=200)),
    row("post", "/api/sites/", dict(anon=401, outsider=403, member=403, site_admin=403, admin=201), {"name": "Lyon"}),
    row(
        "patch",
        "/api/sites/{site_a}/",
        dict(anon=401, outsider=404, member=403, site_admin=200, admin=200),
        {"location": "Room 2"},
    ),
    row(
        "patch",
        "/api/sites/{site_b}/",
        dict(outsider=403, member=404, site_admin=404, admin=200),
        {"location": "Row 9"},
    ),
    row("delete", "/api/sites/{empty_site}/", dict(anon=401, outsider=404, member=404, site_admin=404, admin=204)),
    # --- resource types ---
    row("get", "/api/resource-types/{type_b}/", dict(outsider=200, member=404, site_admin=404, admin=200)),
    row("get", "/api/resource-types/{shared_type}/", dict(outsider=200, member=200, site_admin=200, admin=200)),
    row(
        "post",
        "/api/resource-types/",
        dict(anon=401, outsider=400, member=403, site_admin=201, admin=201),
        {"name": "FPGA", "site": "{site_a}", "color": "#112233"},
    ),
    row(
        "post",
        "/api/resource-types/",
        dict(outsider=403, member=403, site_admin=403, admin=201),
        {"name": "TPU", "color": "#112233"},
    ),
    row(
        "patch",
        "/api/resource-types/{shared_type}/",
        dict(outsider=403, member=403, site_admin=403, admin=200),
        {"description": "x"},
    ),
    row(
        "patch",
        "/api/resource-types/{type_a}/",
        dict(outsider=404, member=403, site_admin=200, admin=200),
        {"description": "x"},
    ),
    row("delete", "/api/resource-types/{type_a}/", dict(outsider=404, member=403, site_admin=204, admin=204)),
    # --- resources ---
    row("get", "/api/resources/{resource_a}/", dict(anon=401, outsider=404, member=200, site_admin=200, admin=200)),
    row("get", "/api/resources/{resource_b}/", dict(outsider=200, member=404, site_admin=404, admin=200)),
    row(
        "post",
        "/api/resources/",
        dict(anon=401, outsider=400, member=403, site_admin=201, admin=201),
        {"name": "new", "site": "{site_a}", "resource_type": "{shared_type}"},
    ),
    row(
        "patch",
        "/api/resources/{resource_a}/",
        dict(anon=401, outsider=404, member=403, site_admin=200, admin=200),
        {"status": "maintenance"},
    ),
    row(
        "patch",
        "/api/resources/{resource_b}/",
        dict(outsider=403, member=404, site_admin=404, admin=200),
        {"status": "maintenance"},
    ),
    row("delete", "/api/resources/{resource_a}/", dict(outsider=404, member=403, site_admin=204, admin=204)),
    # --- memberships ---
    row(
        "post",
        "/api/memberships/",
        dict(anon=401, outsider=400, member=403, site_admin=201, admin=201),
        {"site": "{site_a}", "username": "newcomer"},
    ),
    row(
        "post",
        "/api/memberships/",
        dict(outsider=403, member=400, site_admin=400, admin=201),
        {"site": "{site_b}", "username": "newcomer", "role": "admin"},
    ),
    row(
        "patch",
        "/api/memberships/{member_membership}/",
        dict(anon=401, outsider=404, member=403, site_admin=200, admin=200),
        {"role": "admin"},
    ),
    row("delete", "/api/memberships/{outsider_membership}/", dict(outsider=403, member=404, site_admin=404, admin=204)),
    # --- users ---
    row("get", "/api/users/{outsider_user}/", dict(anon=401, outsider=200, member=404, site_admin=404, admin=200)),
    row("get", "/api/users/{member_user}/", dict(outsider=404, member=200, site_admin=200, admin=200)),
    row(
        "patch",
        "/api/users/{member_user}/",
        dict(anon=401, outsider=404, member=403, site_admin=403, admin=200),
        {"is_active": False},
    ),
    row(
        "patch",
        "/api/users/{site_admin_user}/",
        dict(outsider=404, member=404, site_admin=403, admin=200),
        {"is_global_admin": True},
    ),
    # --- own things and the audit log ---
    row("get", "/api/users/me/", dict(anon=401, outsider=200, member=200, site_admin=200, admin=200)),
    row("get", "/api/users/me/ssh-keys/", dict(anon=401, outsider=200, member=200, site_admin=200, admin=200)),
    row("get", "/api/users/me/tokens/", dict(anon=401, outsider=200, member=200, site_admin=200, admin=200)),
    row("get", "/api/audit-log/", dict(anon=401, outsider=200, member=200, site_admin=200, admin=200)),
    row("post", "/api/audit-log/", dict(outsider=405, member=405, site_admin=405, admin=405), {"action": "x"}),
    # --- operations ---
    row("get", "/api/dashboard/status/", dict(outsider=403, member=403, site_admin=200, admin=200)),
    row("get", "/api/reports/utilization/", dict(outsider=403, member=403, site_admin=200, admin=200)),
    row("get", "/api/reports/utilization/?site=boston", dict(outsider=403, member=403, site_admin=400, admin=200)),
    row("get", "/api/reports/utilization/export/", dict(outsider=403, member=403, site_admin=200, admin=200)),
]


def _fill(value, refs):
    if isinstance(value, str):
        return value.format(**refs)
    if isinstance(value, dict):
        return {k: _fill(v, refs) for k, v in value.items()}
    return value


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "body", "expected"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, method, url, body, expected, world, api_for):
    refs = ids(world)
    client = client_for(role, world, api_for)
    payload = _fill(body, refs)
    # Ids in bodies are numbers in the API.
    if isinstance(payload, dict):
        payload = {k: int(v) if isinstance(v, str) and v.isdigit() else v for k, v in payload.items()}
    response = getattr(client, method)(url.format(**refs), payload, format="json")
    assert response.status_code == expected[role], response.content[:400]
    if response.status_code in (401, 403, 404):
        assert set(response.json()) == {"detail", "code", "errors"}


# --- what each role sees in lists -------------------------------------------------------------


LISTS = {
    "/api/sites/": {
        "outsider": ["Boston DC"],
        "member": ["Berlin Lab"],
        "site_admin": ["Berlin Lab"],
        "admin": ["Berlin Lab", "Boston DC", "Paris"],
    },
    "/api/resources/": {
        "outsider": ["cn-01"],
        "member": ["dgx-01"],
        "site_admin": ["dgx-01"],
        "admin": ["dgx-01", "cn-01"],
    },
    "/api/resource-types/": {
        "outsider": ["Compute node", "GPU"],
        "member": ["GPU", "Microscope"],
        "site_admin": ["GPU", "Microscope"],
        "admin": ["Compute node", "GPU", "Microscope"],
    },
    "/api/users/": {
        "outsider": ["outsider"],
        "member": ["member"],
        "site_admin": ["member", "siteadmin"],
        "admin": ["member", "newcomer", "outsider", "root", "siteadmin"],
    },
    "/api/memberships/": {
        "outsider": ["outsider"],
        "member": ["member"],
        "site_admin": ["member", "siteadmin"],
        "admin": ["member", "siteadmin", "outsider"],
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("role", ["outsider", "member", "site_admin", "admin"])
def test_lists_show_exactly_what_the_role_may_see(role, url, world, api_for):
    response = client_for(role, world, api_for).get(url)
    assert response.status_code == 200
    key = "username" if url in ("/api/users/", "/api/memberships/") else "name"
    assert [item[key] for item in response.json()["results"]] == LISTS[url][role]


@pytest.mark.django_db
def test_shared_type_counts_only_visible_resources(world, api_for):
    ResourceFactory(site=world["site_b"], resource_type=world["shared_type"], name="hgx-02")
    member = client_for("member", world, api_for)
    body = member.get(f"/api/resource-types/{world['shared_type'].pk}/").json()
    assert body["resource_count"] == 1


@pytest.mark.django_db
def test_a_site_admin_cannot_make_anyone_global_admin(world, api_for):
    client = client_for("site_admin", world, api_for)
    response = client.patch(f"/api/users/{world['users']['site_admin'].pk}/", {"is_global_admin": True}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only a global administrator may grant or remove global administration."
    world["users"]["site_admin"].refresh_from_db()
    assert not world["users"]["site_admin"].is_superuser


@pytest.mark.django_db
def test_promoting_a_member_makes_them_staff_and_demoting_removes_it(world, api_for):
    member = world["users"]["member"]
    client = client_for("site_admin", world, api_for)
    client.patch(f"/api/memberships/{world['member_membership'].pk}/", {"role": Role.ADMIN}, format="json")
    member.refresh_from_db()
    assert member.is_staff
    client.patch(f"/api/memberships/{world['member_membership'].pk}/", {"role": Role.MEMBER}, format="json")
    member.refresh_from_db()
    assert not member.is_staff
