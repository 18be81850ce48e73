"""When could someone get N matching resources together, and which ones: the read behind
"find and book" and `POST /api/leases/`. One query for the bookings of every candidate (their
trees included), one for blackouts; then a sweep over the free intervals, so that a thousand
resources cost one pass, not a thousand checks per moment."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError

from resources import attribute_filter
from resources.models import Resource, ResourceType, Site
from resources.selectors import bookable_resources

from . import rules
from .selectors import MAX_SEARCH_WINDOW, Interval, bookable_free, busy_by_resource, without_own_cleanup

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
    return list(found.select_related("site", "resource_type").order_by("pk"))


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


def _start_ranges(resource: Resource, busy: list[Interval], allowed, duration, after, before) -> list[Interval]:
    """The ranges of start times at which a booking of `duration` fits on `resource`."""
    free = bookable_free(limits=allowed, busy=busy, start=after, end=before, min_length=duration)
    ranges = []
    for slot in without_own_cleanup(free, resource.cleanup_time, window_end=before):
        last = slot.end - duration
        if allowed.latest is not None:
            last = min(last, allowed.latest)
        if last >= slot.start:
            ranges.append(Interval(slot.start, last))
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
    from .blackouts import busy as closed  # blackouts read the selectors' intervals

    # Read a day either side as well: "least booked" ranks by use around the window too, or
    # every free machine would tie in a fixed window and the same ones would always be taken.
    busy = busy_by_resource([r.pk for r in resources], after - USAGE_MARGIN, before + USAGE_MARGIN)
    booked = {pk: sum(((i.end - i.start) for i in periods), timedelta(0)) for pk, periods in busy.items()}
    for pk, periods in closed(resources, after, before).items():
        busy[pk] = busy[pk] + periods
    ranges = {r.pk: _start_ranges(r, busy[r.pk], allowed, duration, after, before) for r in resources}
    # Sweep over the moments where a resource's start range opens or closes (both inclusive).
    opens: dict[datetime, list[int]] = defaultdict(list)
    closes: dict[datetime, list[int]] = defaultdict(list)
    for pk, found in ranges.items():
        for rng in found:
            opens[rng.start].append(pk)
            closes[rng.end].append(pk)
    by_pk = {r.pk: r for r in resources}
    windows: list[Window] = []
    free_now: set[int] = set()
    opened: Window | None = None
    for moment in sorted(opens.keys() | closes.keys()):
        free_now.update(opens.get(moment, ()))
        if opened is None and len(free_now) >= count:
            ranked = sorted(free_now, key=lambda k: (booked[k], by_pk[k].name.lower(), k))
            opened = Window(moment, moment + duration, moment, len(ranked), [by_pk[k] for k in ranked])
            windows.append(opened)
        free_now.difference_update(closes.get(moment, ()))
        if opened is not None and len(free_now) < count:
            opened.latest_start, opened = moment, None
            if len(windows) >= limit:
                break
    return windows[:limit], len(resources)
