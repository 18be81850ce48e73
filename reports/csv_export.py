"""The report's tables as CSV, one section per file, with the period in every row for spreadsheets."""

import io

from django.http import HttpResponse

from common import spreadsheet

SECTIONS = ("resources", "resource_types", "sites", "top_users", "heatmap", "booked_vs_used")
USED = ["bookings", "booked_hours", "measured_hours", "used_hours", "used_share", "gpu_hours_booked", "gpu_hours_used"]
USED_GROUPS = {"totals": "all", "sites": "site", "resource_types": "type", "resources": "resource", "people": "person"}
FIGURES = ["booked_hours", "available_hours", "utilization", "bookings"]


def _rows(report: dict, section: str) -> tuple[list[str], list[list]]:
    if section == "resources":
        header = ["site", "resource_type", "resource", "status", *FIGURES, "unavailable_hours"]
        rows = [
            [r["site"]["name"], r["resource_type"]["name"], r["name"], r["status"]]
            + [r[key] for key in [*FIGURES, "unavailable_hours"]]
            for r in report["resources"]
        ]
    elif section in ("resource_types", "sites"):
        header = ["name", "resources", *FIGURES]
        rows = [[r["name"], r["resources"]] + [r[key] for key in FIGURES] for r in report[section]]
    elif section == "top_users":
        header = ["username", "name", "booked_hours", "bookings"]
        rows = [[u["username"], u["name"], u["booked_hours"], u["bookings"]] for u in report["top_users"]]
    elif section == "booked_vs_used":
        header = ["by", "name", *USED]
        found = report["booked_vs_used"]
        rows = [[by, r["name"]] + [r[key] for key in USED] for group, by in USED_GROUPS.items() for r in found[group]]
    else:
        header = ["day", "hour", "booked_hours", "capacity_hours", "utilization"]
        rows = [[c[key] for key in header] for c in report["heatmap"]]
    return header, rows


def report_csv(report: dict, section: str) -> HttpResponse:
    header, rows = _rows(report, section)
    period = report["period"]
    buffer = io.StringIO()
    writer = spreadsheet.writer(buffer)
    writer.writerow(["period_start", "period_end", *header])
    for row in rows:
        cells = ("" if value is None else value for value in row)
        writer.writerow([period["start"].isoformat(), period["end"].isoformat(), *cells])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"utilization-{section}-{period['start']:%Y%m%d}-{period['end']:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
