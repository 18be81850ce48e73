"""Masked means masked: a colleague's booking shows as 'Booked' to a member, and no filter, search
or ordering of any list endpoint lets the member find out its title, description or owner."""

import pytest
from django.test import Client

from reservations import services

from .conftest import at

pytestmark = pytest.mark.django_db

TITLE, DESCRIPTION = "secret-merger-talks", "acquisition-of-zeta"


@pytest.fixture
def hidden(second_member, tree):
    return services.reservation_create(
        actor=second_member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10), title=TITLE, description=DESCRIPTION
    )


def count(client, path, **query) -> int:
    body = client.get(path, query, HTTP_ACCEPT="application/json").json()
    return body["count"] if isinstance(body, dict) and "count" in body else len(body)


def test_search_and_owner_find_only_what_the_viewer_sees(member_api, site_admin_api, hidden, second_member):
    for value in (TITLE, DESCRIPTION, "merger"):
        assert member_api.get("/api/reservations/", {"search": value}).json()["count"] == 0
        assert site_admin_api.get("/api/reservations/", {"search": value}).json()["count"] == 1
    assert member_api.get("/api/reservations/", {"owner": second_member.username}).json()["count"] == 0
    assert site_admin_api.get("/api/reservations/", {"owner": second_member.username}).json()["count"] == 1
    # The resource's name is public: the booking is found by it, still masked.
    found = member_api.get("/api/reservations/", {"search": hidden.resource.name}).json()["results"]
    assert [(b["id"], b["title"], b["owner"]) for b in found] == [(hidden.pk, "Booked", None)]


def test_no_filter_of_any_list_endpoint_reveals_a_hidden_value(member, hidden):
    client = Client()
    client.force_login(member)
    root = client.get("/api/", HTTP_ACCEPT="application/json").json()
    lists = sorted({url.split("/api", 1)[1] for url in root.values() if isinstance(url, str) and "/api/" in url})
    schema = client.get("/api/schema/?format=json").json()["paths"]
    probed = 0
    for path in lists:
        operation = schema.get(f"/api{path}", {}).get("get")
        if operation is None:
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p["name"] != "format"]
        for name in names:
            for value in (TITLE, DESCRIPTION):
                junk = client.get(f"/api{path}", {name: "no-such-value-at-all"}, HTTP_ACCEPT="application/json")
                probe = client.get(f"/api{path}", {name: value}, HTTP_ACCEPT="application/json")
                if probe.status_code != 200:
                    continue  # a refusal echoes the input it refuses, nothing else
                assert TITLE not in probe.content.decode() and DESCRIPTION not in probe.content.decode()
                if junk.status_code == 200 and "count" in probe.json():
                    assert probe.json()["count"] == junk.json()["count"], f"{path}?{name}={value}"
                probed += 1
    assert probed > 50
