"""When could someone get N matching resources together, and which ones: the read behind
"find and book" and `POST /api/leases/`. One query for the bookings of every candidate (their
trees included), one for blackouts; then a sweep over the free intervals, so that a thousand
resources cost one pass, not a thousand checks per moment."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError

from reservations import rules
from reservations.selectors import MAX_SEARCH_WINDOW, busy_epochs, closed_intervals
from resources import attribute_filter
from resources.models import Resource, ResourceType
from resources.selectors import bookable_resources
from tenancy.models import Site

MAX_COUNT = 100
MAX_WINDOWS = 10
USAGE_MARGIN = timedelta(days=1)
MIN_YEAR, MAX_YEAR = 1970, 9000  # far from datetime's limits, so the arithmetic cannot overflow


@dataclass
class Window:
    """From `start` on, `resources` (the first `count` of them proposed, least booked first) are
    free for the duration; any start up to `latest_start` keeps at least `count` of them free."""

    start: datetime
    end: datetime
    latest_start: datetime
    available: int
    resources: list[Resource] = field(default_factory=list)


def candidates(*, actor, site: Site, resource_type: ResourceType, where: str = "") -> list[Resource]:
    """The resources a lease could take: bookable by `actor`, of the site and type, matching `where`."""
    found = bookable_resources(user=actor).filter(site=site, resource_type=resource_type)
    if where:
        found = attribute_filter.apply(found, where)
    # The search needs ids, names and cleanup times; wide text and JSON stay in the database.
    return list(
        found.select_related("site", "resource_type").defer("attributes", "specs", "description").order_by("pk")
    )


def _validate(count: int, duration: timedelta, after: datetime, before: datetime) -> None:
    errors = {}
    if not 1 <= count <= MAX_COUNT:
        errors["count"] = [f"Ask for between 1 and {MAX_COUNT} resources."]
    if duration <= timedelta(0):
        errors["duration"] = ["The duration must be positive."]
    if after.year < MIN_YEAR or before.year > MAX_YEAR:
        errors["window_start"] = [f"Search between the years {MIN_YEAR} and {MAX_YEAR}."]
    elif before <= after:
        errors["window_end"] = ["The search window must end after it starts."]
    elif before - after > MAX_SEARCH_WINDOW:
        errors["window_end"] = [f"Search at most {MAX_SEARCH_WINDOW.days} days at once."]
    if errors:
        raise ValidationError(errors)


def _start_ranges(
    busy: list[tuple[float, float]], lower: float, upper: float, length: float, cleanup: float, latest: float | None
) -> list[tuple[float, float]]:
    """The ranges of start times (seconds since the epoch, both ends inclusive) at which a booking
    of `length` fits in [lower, upper) between `busy` intervals (sorted by start), its own cleanup
    before the next one included; none after `latest` (the type's horizon). The same rules as
    `selectors.bookable_free` and `without_own_cleanup`, on numbers: this runs for every candidate."""
    ranges = []

    def gap(start: float, end: float) -> None:
        last = end - length
        if latest is not None:
            last = min(last, latest)
        if last >= start:
            ranges.append((start, last))

    cursor = lower
    for busy_start, busy_end in busy:
        if busy_start >= upper:
            break
        if busy_start > cursor:
            gap(cursor, busy_start - cleanup)
        cursor = max(cursor, busy_end)
    if cursor < upper:
        gap(cursor, upper)
    return ranges


def find(
    *,
    actor,
    site: Site,
    resource_type: ResourceType,
    count: int,
    duration: timedelta,
    after: datetime,
    before: datetime,
    where: str = "",
    limit: int = 1,
    pool: list[Resource] | None = None,
) -> tuple[list[Window], int]:
    """(the first `limit` windows in [after, before) in which `count` matching resources are free
    together for `duration`, how many resources match). `pool`: candidates already read."""
    _validate(count, duration, after, before)
    resources = (
        pool if pool is not None else candidates(actor=actor, site=site, resource_type=resource_type, where=where)
    )
    if not resources:
        return [], 0
    allowed = rules.limits(actor=actor, resource=resources[0])  # one site and type: the same limits
    refused = allowed.duration_errors(duration, resource_type.name)
    if refused:
        raise ValidationError({"duration": refused})
    # Read a day either side as well: "least booked" ranks by use around the window too, or
    # every free machine would tie in a fixed window and the same ones would always be taken.
    busy = busy_epochs([r.pk for r in resources], after - USAGE_MARGIN, before + USAGE_MARGIN)
    booked = {pk: sum(end - start for start, end in periods) for pk, periods in busy.items()}
    for pk, periods in closed_intervals(resources, after, before).items():
        if periods:
            busy[pk] = sorted(busy[pk] + [(p.start.timestamp(), p.end.timestamp()) for p in periods])
    lower = after.timestamp()
    if allowed.earliest is not None:
        lower = max(lower, math.ceil(allowed.earliest.timestamp() / 60) * 60)
    length, latest = duration.total_seconds(), allowed.latest.timestamp() if allowed.latest else None
    ranges = {
        r.pk: _start_ranges(busy[r.pk], lower, before.timestamp(), length, r.cleanup_time.total_seconds(), latest)
        for r in resources
    }
    # Sweep over the moments where a resource's start range opens or closes (both inclusive).
    opens: dict[float, list[int]] = defaultdict(list)
    closes: dict[float, list[int]] = defaultdict(list)
    for pk, found in ranges.items():
        for first, last in found:
            opens[first].append(pk)
            closes[last].append(pk)
    by_pk = {r.pk: r for r in resources}
    windows: list[Window] = []
    free_now: set[int] = set()
    opened: Window | None = None
    for moment in sorted(opens.keys() | closes.keys()):
        free_now.update(opens.get(moment, ()))
        if opened is None and len(free_now) >= count:
            ranked = sorted(free_now, key=lambda k: (booked[k], by_pk[k].name.lower(), k))
            at = datetime.fromtimestamp(moment, UTC)
            opened = Window(at, at + duration, at, len(ranked), [by_pk[k] for k in ranked])
            windows.append(opened)
        free_now.difference_update(closes.get(moment, ()))
        if opened is not None and len(free_now) < count:
            opened.latest_start, opened = datetime.fromtimestamp(moment, UTC), None
            if len(windows) >= limit:
                break
    return windows[:limit], len(resources)
