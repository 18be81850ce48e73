"""When a resource could not be booked: the stretches it spent in maintenance or unavailable, rebuilt
from the audit log's status changes (every status change goes through resource_update, which
records one `resource.status_changed` entry with the status before and after)."""

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from audit.models import AuditEntry
from resources.models import ResourceStatus

Interval = tuple[datetime, datetime]


def _changes(resource_ids: list[int]) -> dict[int, list[tuple[datetime, str, str]]]:
    entries = (
        AuditEntry.objects.filter(
            action="resource.status_changed",
            object_type="resources.resource",
            object_id__in=[str(pk) for pk in resource_ids],
        )
        .order_by("timestamp", "pk")
        .values_list("object_id", "timestamp", "changes")
    )
    changes = defaultdict(list)
    for object_id, timestamp, diff in entries:
        before, after = (diff or {}).get("status", [None, None])
        changes[int(object_id)].append((timestamp, before, after))
    return changes


def _down(start: datetime, end: datetime, current: str, changes: list[tuple[datetime, str, str]]) -> list[Interval]:
    """The parts of [start, end) in which the status was not active. Before the first known change
    the status was that change's "before"; with no change at all, today's status held throughout."""
    if not changes:
        return [(start, end)] if current != ResourceStatus.ACTIVE and end > start else []
    cuts = [(datetime.min.replace(tzinfo=start.tzinfo), changes[0][1])]
    cuts += [(at, after) for at, _, after in changes]
    down = []
    for index, (since, status) in enumerate(cuts):
        until = cuts[index + 1][0] if index + 1 < len(cuts) else end
        lower, upper = max(since, start), min(until, end)
        if status != ResourceStatus.ACTIVE and upper > lower:
            down.append((lower, upper))
    return down


def downtime(resources: list[dict]) -> dict[int, list[Interval]]:
    """{resource id: [(from, to), ...]} within each resource's window (keys: id, status, win_start, win_end)."""
    changes = _changes([r["id"] for r in resources])
    return {r["id"]: _down(r["win_start"], r["win_end"], r["status"], changes.get(r["id"], [])) for r in resources}


def hour_cells(interval: Interval, zone: str) -> dict[tuple[int, int], float]:
    """Seconds of the interval in each (ISO weekday, hour) cell of the zone's wall-clock time, the way
    the heatmap's SQL counts them."""
    tz = ZoneInfo(zone)
    start = interval[0].astimezone(tz).replace(tzinfo=None)
    end = interval[1].astimezone(tz).replace(tzinfo=None)
    cells: dict[tuple[int, int], float] = defaultdict(float)
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        following = hour + timedelta(hours=1)
        cells[hour.isoweekday(), hour.hour] += (min(end, following) - max(start, hour)).total_seconds()
        hour = following
    return cells
