"""Utilization figures, checked against numbers worked out by hand.

The demo is loaded on Sunday 2026-11-22, so its bookings fall in the week Mon 23 - Sun 29 November
(Berlin is UTC+1 then, Boston UTC-5; no daylight-saving change that week):
    dgx-01-gpu0  Mon 23  09:00-12:00 Berlin  user       3 h
    dgx-01-gpu1  Mon 23  13:00-14:00 Berlin  user       1 h   (weekly series; the next one is on the 30th)
    dgx-01       Tue 24  14:00-18:00 Berlin  siteadmin  4 h
11 resources (6 in Berlin, 5 in Boston), each 7 x 24 = 168 h that week; cn-02 (unavailable) was created
so and never changed, so it could not be booked at all: 10 x 168 h available.
"""

import csv
import io
import zoneinfo
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from reservations.models import Reservation
from tests.factories import ResourceFactory, ResourceTypeFactory

pytestmark = pytest.mark.django_db
WEEK = "start=2026-11-23&end=2026-11-29"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def test_global_administrator_sees_every_figure_of_the_demo_week(demo_users, api_for):
    body = api_for(demo_users["admin"]).get(f"/api/reports/utilization/?{WEEK}").json()

    assert body["period"] == {"start": "2026-11-23", "end": "2026-11-29", "days": 7}
    assert body["totals"] == {
        "resources": 11,
        "booked_hours": 8.0,
        "available_hours": 1680.0,  # 10 x 168
        "utilization": 0.0048,  # 8 / 1680
        "bookings": 3,
    }
    sites = {s["name"]: s for s in body["sites"]}
    assert sites["Berlin Lab"] | {"id": None} == {
        "id": None,
        "name": "Berlin Lab",
        "resources": 6,
        "booked_hours": 8.0,
        "available_hours": 1008.0,  # 6 x 168
        "utilization": 0.0079,  # 8 / 1008
        "bookings": 3,
    }
    assert (sites["Boston DC"]["booked_hours"], sites["Boston DC"]["available_hours"]) == (0.0, 672.0)
    types = {
        t["name"]: (t["resources"], t["booked_hours"], t["available_hours"], t["utilization"])
        for t in body["resource_types"]
    }
    assert types == {
        "GPU server": (2, 4.0, 336.0, 0.0119),  # dgx-01 4 h of 2 x 168
        "GPU": (6, 4.0, 1008.0, 0.004),  # gpu0 3 h + gpu1 1 h of 6 x 168
        "Microscope": (1, 0.0, 168.0, 0.0),  # Krios-1, free all week
        "Compute node": (2, 0.0, 168.0, 0.0),  # cn-02 unavailable
    }
    per_resource = {r["name"]: (r["booked_hours"], r["bookings"]) for r in body["resources"] if r["bookings"]}
    assert per_resource == {"dgx-01": (4.0, 1), "dgx-01-gpu0": (3.0, 1), "dgx-01-gpu1": (1.0, 1)}

    booked_cells = {(c["day"], c["hour"]): c["booked_hours"] for c in body["heatmap"] if c["booked_hours"]}
    assert booked_cells == {
        (1, 9): 1.0, (1, 10): 1.0, (1, 11): 1.0,  # Monday, gpu0
        (1, 13): 1.0,  # Monday, gpu1
        (2, 14): 1.0, (2, 15): 1.0, (2, 16): 1.0, (2, 17): 1.0,  # Tuesday, dgx-01
    }  # fmt: skip
    assert len(body["heatmap"]) == 168
    monday_nine = next(c for c in body["heatmap"] if (c["day"], c["hour"]) == (1, 9))
    assert monday_nine == {"day": 1, "hour": 9, "booked_hours": 1.0, "capacity_hours": 10.0, "utilization": 0.1}

    assert [(u["username"], u["booked_hours"], u["bookings"]) for u in body["top_users"]] == [
        ("siteadmin", 4.0, 1),
        ("user", 4.0, 2),
    ]
    assert sorted(r["name"] for r in body["idle_resources"]) == [
        "Krios-1", "cn-01", "dgx-01-gpu2", "dgx-01-gpu3", "hgx-02", "hgx-02-gpu0", "hgx-02-gpu1",
    ]  # fmt: skip
    unavailable = {r["name"]: r["unavailable_hours"] for r in body["resources"] if r["unavailable_hours"]}
    assert unavailable == {"cn-02": 168.0}


def test_site_administrator_gets_only_their_site(demo_users, api_for):
    client = api_for(demo_users["siteadmin"])
    body = client.get(f"/api/reports/utilization/?{WEEK}").json()
    assert [s["name"] for s in body["sites"]] == ["Berlin Lab"]
    assert (body["totals"]["resources"], body["totals"]["available_hours"]) == (6, 1008.0)
    response = client.get(f"/api/reports/utilization/?{WEEK}&site=boston")
    assert response.status_code == 400
    assert response.json()["errors"] == {"site": ["No such site among those you administer."]}


def test_members_and_strangers_are_refused(demo_users, api_for):
    assert api_for(demo_users["user"]).get("/api/reports/utilization/").status_code == 403
    assert api_for().get("/api/reports/utilization/").status_code in (401, 403)
    assert api_for(demo_users["user"]).get("/api/reports/utilization/export/").status_code == 403


def test_filters_by_site_and_type(demo_users, api_for):
    client = api_for(demo_users["admin"])
    gpu = client.get("/api/resource-types/?search=GPU").json()["results"]
    gpu_id = next(t["id"] for t in gpu if t["name"] == "GPU")
    body = client.get(f"/api/reports/utilization/?{WEEK}&site=berlin&resource_type={gpu_id}").json()
    assert body["totals"] == {
        "resources": 4, "booked_hours": 4.0, "available_hours": 672.0, "utilization": 0.006, "bookings": 2,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=2026-11-29&end=2026-11-23", "end", "The last day must not be before the first day."),
        ("start=2024-01-01&end=2026-01-01", "end", "A report covers at most 366 days."),
        ("start=yesterday", "start", "Enter a valid date."),
        ("end=0001-01-01", "end", "Ensure this value is greater than or equal to 1900-01-01."),  # was a 500
        ("start=9999-12-31", "start", "Ensure this value is less than or equal to 9000-12-31."),
        ("resource_type=999999", "resource_type", "No such resource type at your sites."),
    ],
)
def test_bad_questions_get_field_messages(demo_users, api_for, query, field, message):
    response = api_for(demo_users["admin"]).get(f"/api/reports/utilization/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]


def test_csv_export_has_the_same_figures(demo_users, api_for):
    client = api_for(demo_users["admin"])
    response = client.get(f"/api/reports/utilization/export/?{WEEK}&section=sites")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="utilization-sites-20261123-20261129.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["name"], r["booked_hours"], r["available_hours"], r["utilization"]) for r in rows] == [
        ("Berlin Lab", "8.0", "1008.0", "0.0079"),
        ("Boston DC", "0.0", "672.0", "0.0"),
    ]
    export = client.get(f"/api/reports/utilization/export/?{WEEK}").content.decode()
    resources = list(csv.DictReader(io.StringIO(export)))
    assert len(resources) == 11 and resources[0]["period_start"] == "2026-11-23"
    heat = client.get(f"/api/reports/utilization/export/?{WEEK}&section=heatmap").content.decode().splitlines()
    assert len(heat) == 169
    bad = client.get(f"/api/reports/utilization/export/?{WEEK}&section=everything")
    assert bad.status_code == 400 and "section" in bad.json()["errors"]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def test_clipping_cancellation_late_creation_and_partial_hours(site_admin, site_a, member, api_for):
    kind = ResourceTypeFactory(name="Scope")
    old = ResourceFactory(site=site_a, resource_type=kind, name="old")
    new = ResourceFactory(site=site_a, resource_type=kind, name="new")
    type(new).objects.filter(pk=new.pk).update(created=_at(27, 12))  # added on Friday noon
    type(old).objects.filter(pk=old.pk).update(created=_at(1, 0))

    def book(resource, start, end, **extra):
        return Reservation.objects.create(resource=resource, owner=member, start=start, end=end, **extra)

    book(old, _at(22, 22), _at(23, 2))  # straddles the start: 2 h inside
    book(old, _at(23, 9, 30), _at(23, 11))  # 0.5 h in the 9 o'clock cell, 1 h in the 10
    book(old, _at(24, 8), _at(24, 18), status="cancelled", cancelled_at=_at(24, 10))  # ran 2 h
    book(old, _at(25, 8), _at(25, 18), status="cancelled", cancelled_at=_at(24, 10))  # never ran
    book(old, _at(29, 23), _at(30, 3))  # 1 h inside
    # Ends as the week starts; only its cleanup reaches into the week: not booked time in it.
    edge = ResourceFactory(site=site_a, resource_type=kind, name="edge")
    type(edge).objects.filter(pk=edge.pk).update(created=_at(1, 0))
    book(edge, _at(22, 20), _at(23, 0), cleanup=timedelta(hours=3))
    body = api_for(site_admin).get(f"/api/reports/utilization/?{WEEK}").json()

    rows = {r["name"]: r for r in body["resources"]}
    assert (rows["old"]["booked_hours"], rows["old"]["bookings"], rows["old"]["available_hours"]) == (6.5, 4, 168.0)
    assert rows["new"]["available_hours"] == 60.0  # Friday noon to Sunday midnight
    assert (rows["edge"]["booked_hours"], rows["edge"]["bookings"]) == (0.0, 0)
    cells = {(c["day"], c["hour"]): c for c in body["heatmap"]}
    assert (cells[1, 9]["booked_hours"], cells[1, 10]["booked_hours"], cells[2, 9]["booked_hours"]) == (0.5, 1.0, 1.0)
    assert cells[5, 11]["capacity_hours"] == 2.0 and cells[5, 12]["capacity_hours"] == 3.0  # old, edge, new
    assert sum(c["booked_hours"] for c in body["heatmap"]) == 6.5
    assert sorted(r["name"] for r in body["idle_resources"]) == ["edge", "new"]


def test_a_week_with_the_clocks_going_back_has_169_hours(site_admin, site_a, api_for):
    resource = ResourceFactory(site=site_a, name="dst")
    type(resource).objects.filter(pk=resource.pk).update(created=_at(1, 0) - timedelta(days=60))
    body = api_for(site_admin).get("/api/reports/utilization/?start=2026-10-19&end=2026-10-25").json()
    assert body["totals"]["available_hours"] == 169.0


def test_the_page_draws_charts_heatmap_and_tables(demo_users, client):
    client.force_login(demo_users["admin"])
    page = client.get(f"/reports/utilization/?{WEEK}").content.decode()
    assert 'aria-label="Utilization by site: Berlin Lab' in page
    assert 'aria-label="Utilization by resource type: ' in page
    assert '<strong id="total-utilization">0.5%</strong>' in page
    assert 'data-day="1" data-hour="9" data-booked="1.0"' in page
    assert "section=top_users" in page and "Krios-1" in page
    assert client.get("/reports/utilization/?start=nonsense").status_code == 400
    client.force_login(demo_users["user"])
    assert client.get("/reports/utilization/").status_code == 403


def test_maintenance_stretches_are_not_available(site_admin, site_a, member, api_for):
    from resources import services as resources

    with freeze_time("2026-11-01 00:00:00"):
        scope = ResourceFactory(site=site_a, name="scope")
    with freeze_time("2026-11-25 11:00:00"):  # Wednesday 12:00 in Berlin
        resources.resource_update(actor=site_admin, resource=scope, status="maintenance")
    with freeze_time("2026-11-26 14:30:00"):  # Thursday 15:30 in Berlin
        resources.resource_update(actor=site_admin, resource=scope, status="active")
    with freeze_time("2026-11-28 08:00:00"):  # Saturday 09:00 in Berlin, and it stays unavailable
        resources.resource_update(actor=site_admin, resource=scope, status="unavailable")
    body = api_for(site_admin).get(f"/api/reports/utilization/?{WEEK}").json()
    row = body["resources"][0]
    # Wed 12:00 -> Thu 15:30 = 27.5 h, Sat 09:00 -> Mon 00:00 = 39 h
    assert (row["unavailable_hours"], row["available_hours"]) == (66.5, 101.5)
    cells = {(c["day"], c["hour"]): c["capacity_hours"] for c in body["heatmap"]}
    assert (cells[3, 11], cells[3, 12], cells[4, 15], cells[4, 16], cells[6, 8], cells[6, 9]) == (
        1.0, 0.0, 0.5, 1.0, 1.0, 0.0,
    )  # fmt: skip
    assert sum(cells.values()) == 101.5
