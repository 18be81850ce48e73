"""Utilization: booked hours against available hours, per resource, type and site, for a period of days.

Definitions (also in docs/reports.md):
- A period is whole days, from the first day's midnight to the midnight after the last day, in each
  site's own time zone, so "Monday" means Monday where the machine stands.
- Available hours: the period, from the resource's creation if that was later, less the time it spent
  in maintenance or unavailable (rebuilt from the audit log's status changes, reports/downtime.py).
- Booked hours: confirmed bookings clipped to the period, plus bookings cancelled after they had
  started, up to their cancellation (the machine was in use until then).
- The heatmap is in each site's wall-clock time: booked hours per weekday and hour, against the
  hours the resources in scope could have been booked in that cell.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from machines.selectors import booked_vs_used
from reservations.models import Reservation
from resources.models import Resource, ResourceType
from tenancy.access import administered_site_ids
from tenancy.models import Site

from .downtime import downtime, hour_cells

TOP_USERS = 10
HOUR = 3600.0


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _tables() -> dict[str, str]:
    return {
        "resource": Resource._meta.db_table,
        "site": Site._meta.db_table,
        "type": ResourceType._meta.db_table,
        "booking": Reservation._meta.db_table,
        "user": get_user_model()._meta.db_table,
    }


# Each resource in scope with its window: the period in its site's zone, from its creation if later.
WINDOWS = """
windows AS (
    SELECT r.id, r.name, r.status, r.site_id, s.name AS site_name, s.time_zone,
           r.resource_type_id, t.name AS type_name,
           least(greatest(%(start)s::timestamp AT TIME ZONE s.time_zone, r.created),
                 %(end)s::timestamp AT TIME ZONE s.time_zone) AS win_start,
           %(end)s::timestamp AT TIME ZONE s.time_zone AS win_end
    FROM {resource} r
    JOIN {site} s ON s.id = r.site_id
    JOIN {type} t ON t.id = r.resource_type_id
    WHERE (%(all_sites)s OR r.site_id = ANY(%(site_ids)s))
      AND (%(type_id)s::bigint IS NULL OR r.resource_type_id = %(type_id)s)
)"""

# Bookings clipped to their resource's window. The confirmed half uses the no-overlap constraint's
# GiST index: its own expression, the booking and its cleanup (start to blocked_until), then the end
# itself; with tstzrange(start, end) the index did not apply (1 s for a week of one site at
# 1,000,000 bookings). Cancelled bookings count only for the time they ran.
CLIPPED = """
clipped AS (
    SELECT b.id, b.owner_id, w.id AS resource_id, w.time_zone,
           greatest(b.start, w.win_start) AS s, least(b."end", w.win_end) AS e
    FROM windows w JOIN {booking} b ON b.resource_id = w.id
    WHERE b.status = 'confirmed'
      AND tstzrange(b.start, b.blocked_until, '[)') && tstzrange(w.win_start, w.win_end, '[)')
      AND b."end" > w.win_start
    UNION ALL
    SELECT b.id, b.owner_id, w.id, w.time_zone,
           greatest(b.start, w.win_start), least(b."end", b.cancelled_at, w.win_end)
    FROM windows w JOIN {booking} b ON b.resource_id = w.id
    WHERE b.status = 'cancelled' AND b.cancelled_at > b.start
      AND b.start < w.win_end AND b."end" > w.win_start
),
used AS (SELECT * FROM clipped WHERE e > s)"""

PER_RESOURCE = """
WITH {windows}, {clipped}
SELECT w.id, w.name, w.status, w.site_id, w.site_name, w.resource_type_id, w.type_name,
       w.time_zone, w.win_start, w.win_end,
       coalesce(sum(extract(epoch FROM u.e - u.s)), 0) AS booked,
       count(u.id) AS bookings
FROM windows w LEFT JOIN used u ON u.resource_id = w.id
GROUP BY w.id, w.name, w.status, w.site_id, w.site_name, w.resource_type_id, w.type_name, w.time_zone,
         w.win_start, w.win_end
ORDER BY w.site_name, w.type_name, w.name
"""

# Only for idle resources: nothing overlaps their window, so the last booking ended before it.
LAST_BOOKING_END = """
WITH {windows}
SELECT w.id, (SELECT max(b."end") FROM {booking} b
              WHERE b.resource_id = w.id AND b.status = 'confirmed' AND b."end" <= w.win_start)
FROM windows w WHERE w.id = ANY(%(idle)s)
"""

PER_USER = """
WITH {windows}, {clipped}
SELECT p.id, p.username, p.first_name, p.last_name,
       sum(extract(epoch FROM u.e - u.s)) AS booked, count(*) AS bookings
FROM used u JOIN {user} p ON p.id = u.owner_id
GROUP BY p.id, p.username, p.first_name, p.last_name
ORDER BY booked DESC, p.username
LIMIT %(top)s
"""

# Wall-clock hour buckets: a booking from 09:30 to 11:00 adds 0.5 h to the 9 o'clock cell and 1 h to 10.
HEAT_BOOKED = """
WITH {windows}, {clipped},
local AS (SELECT s AT TIME ZONE time_zone AS ls, e AT TIME ZONE time_zone AS le FROM used)
SELECT extract(isodow FROM h)::int, extract(hour FROM h)::int,
       sum(extract(epoch FROM least(le, h + interval '1 hour') - greatest(ls, h)))
FROM local, generate_series(date_trunc('hour', ls), le - interval '1 microsecond', interval '1 hour') AS h
GROUP BY 1, 2
"""

# Resources sharing a window are counted once per cell and multiplied: one row per site, mostly.
HEAT_CAPACITY = """
WITH {windows},
groups AS (
    SELECT win_start AT TIME ZONE time_zone AS ls, win_end AT TIME ZONE time_zone AS le, count(*) AS n
    FROM windows WHERE win_end > win_start GROUP BY 1, 2
)
SELECT extract(isodow FROM h)::int, extract(hour FROM h)::int,
       sum(n * extract(epoch FROM least(le, h + interval '1 hour') - greatest(ls, h)))
FROM groups, generate_series(date_trunc('hour', ls), le - interval '1 microsecond', interval '1 hour') AS h
GROUP BY 1, 2
"""


def _query(sql: str, params: dict) -> list[tuple]:
    tables = _tables()
    parts = {"windows": WINDOWS.format(**tables), "clipped": CLIPPED.format(**tables)}
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**parts, **tables), params)
        return cursor.fetchall()


def _hours(seconds) -> float:
    return round(float(seconds) / HOUR, 2)


def _ratio(booked: float, available: float) -> float | None:
    return round(booked / available, 4) if available else None


def _figures(booked_seconds: float, available_seconds: float, bookings: int) -> dict:
    return {
        "booked_hours": _hours(booked_seconds),
        "available_hours": _hours(available_seconds),
        "utilization": _ratio(booked_seconds, available_seconds),
        "bookings": bookings,
    }


def utilization_report(*, user, period: Period, site: Site | None = None, resource_type=None) -> dict:
    """The figures for the sites the user administers (all of them for global administrators)."""
    site_ids = administered_site_ids(user)
    if site is not None:
        site_ids = {site.pk} if site_ids is None or site.pk in site_ids else set()
    params = {
        "start": period.start.isoformat(),
        "end": (period.end + timedelta(days=1)).isoformat(),
        "all_sites": site_ids is None,
        "site_ids": sorted(site_ids or []),
        "type_id": resource_type.pk if resource_type is not None else None,
        "top": TOP_USERS,
    }
    rows = [dict(zip(RESOURCE_COLUMNS, row, strict=True)) for row in _query(PER_RESOURCE, params)]
    down = downtime(rows)
    seconds = [_seconds(row, down[row["id"]]) for row in rows]
    resources = [
        {
            "id": row["id"],
            "name": row["name"],
            "status": row["status"],
            "site": {"id": row["site_id"], "name": row["site_name"]},
            "resource_type": {"id": row["type_id"], "name": row["type_name"]},
            **_figures(*figures),
            "unavailable_hours": _hours(unavailable),
        }
        for row, (*figures, unavailable) in zip(rows, seconds, strict=True)
    ]
    return {
        "period": {"start": period.start, "end": period.end, "days": period.days},
        "totals": {"resources": len(rows), **_figures(*_sum(seconds))},
        "sites": _roll_up(rows, seconds, "site_id", "site_name"),
        "resource_types": _roll_up(rows, seconds, "type_id", "type_name"),
        "resources": resources,
        "heatmap": _heatmap(params, [(row["time_zone"], interval) for row in rows for interval in down[row["id"]]]),
        "top_users": [
            {
                "id": uid,
                "username": username,
                "name": f"{first} {last}".strip() or username,
                "booked_hours": _hours(booked),
                "bookings": count,
            }
            for uid, username, first, last, booked, count in _query(PER_USER, params)
        ],
        "idle_resources": _idle(resources, params),
        "booked_vs_used": booked_vs_used(
            site_ids=site_ids,
            start=_midnight(period.start),
            end=_midnight(period.end + timedelta(days=1)),
            type_id=params["type_id"],
        ),
    }


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


RESOURCE_COLUMNS = (
    "id", "name", "status", "site_id", "site_name", "type_id", "type_name", "time_zone",
    "win_start", "win_end", "booked", "bookings",
)  # fmt: skip


def _seconds(row: dict, down: list) -> tuple[float, float, int, float]:
    """(booked, available, bookings, unavailable) of one resource."""
    unavailable = sum((upper - lower).total_seconds() for lower, upper in down)
    available = (row["win_end"] - row["win_start"]).total_seconds() - unavailable
    return float(row["booked"]), available, row["bookings"], unavailable


def _sum(seconds: list[tuple]) -> tuple[float, float, int]:
    return sum(s[0] for s in seconds), sum(s[1] for s in seconds), sum(s[2] for s in seconds)


def _roll_up(rows: list[dict], seconds: list[tuple], key: str, label: str) -> list[dict]:
    """Sums of hours (not averages of percentages) per site or per type, by name."""
    groups: dict[int, list] = {}
    for row, figures in zip(rows, seconds, strict=True):
        groups.setdefault(row[key], [row[label], []])[1].append(figures)
    rolled = [
        {"id": pk, "name": name, "resources": len(members), **_figures(*_sum(members))}
        for pk, (name, members) in groups.items()
    ]
    return sorted(rolled, key=lambda r: r["name"])


def _idle(resources: list[dict], params: dict) -> list[dict]:
    idle = [r for r in resources if r["bookings"] == 0 and r["available_hours"] > 0]
    last_end = dict(_query(LAST_BOOKING_END, {**params, "idle": [r["id"] for r in idle]})) if idle else {}
    return [
        {
            **{key: r[key] for key in ("id", "name", "status", "site", "resource_type")},
            "last_booking_end": last_end[r["id"]],
        }
        for r in idle
    ]


def _heatmap(params: dict, down: list[tuple[str, tuple]]) -> list[dict]:
    """168 cells, Monday 00:00 first (day 1 = Monday, as ISO 8601 numbers weekdays). Capacity is the
    resources' windows less their downtime."""
    booked = defaultdict(float, {(d, h): float(s) for d, h, s in _query(HEAT_BOOKED, params)})
    capacity = defaultdict(float, {(d, h): float(s) for d, h, s in _query(HEAT_CAPACITY, params)})
    for zone, interval in down:
        for cell, seconds in hour_cells(interval, zone).items():
            capacity[cell] = max(capacity[cell] - seconds, 0.0)
    return [
        {
            "day": day,
            "hour": hour,
            "booked_hours": _hours(booked[day, hour]),
            "capacity_hours": _hours(capacity[day, hour]),
            "utilization": _ratio(booked[day, hour], capacity[day, hour]),
        }
        for day in range(1, 8)
        for hour in range(24)
    ]
