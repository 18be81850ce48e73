"""Reads of bookings, scoped to the sites a user may see, and availability."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.postgres.fields import RangeBoundary
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q, QuerySet
from django.utils import timezone

from common import names, times
from resources.models import Resource
from resources.selectors import resource_tree_ids
from resources.tree import MAX_TREE_DEPTH
from tenancy.access import administered_site_ids, owns_or_administers, scope_to_sites, visible_site_ids

from . import hooks, recurrence, rules
from .models import HOLDING, Reservation, Series, TsTzRange


def reservation_list(*, user) -> QuerySet[Reservation]:
    """Bookings of the sites the user may see (members see their colleagues' bookings as busy
    time; whose they are is for the owner and site administrators, see `can_see_details`)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Reservation.objects.none()
    return scope_to_sites(Reservation.objects.all(), visible_site_ids(user), "resource__site").select_related(
        "resource", "resource__resource_type", "resource__site", "owner", "series"
    )


def reservation_list_administered(*, user) -> QuerySet[Reservation]:
    """Bookings of the sites the user administers: what the operators' console shows them."""
    return scope_to_sites(Reservation.objects.all(), administered_site_ids(user), "resource__site")


def series_list_administered(*, user) -> QuerySet[Series]:
    return scope_to_sites(Series.objects.all(), administered_site_ids(user), "resource__site")


def details_visible_to(user):
    """A predicate: may `user` see who booked, the title and the parameters of a booking?"""

    def visible(reservation: Reservation) -> bool:
        return owns_or_administers(user, owner_id=reservation.owner_id, site_id=reservation.resource.site_id)

    return visible


def details_visible_q(user) -> Q:
    """details_visible_to as a query condition, so that filters and search see only what the
    viewer may see (a colleague's hidden title must not be found by searching for it)."""
    sites = administered_site_ids(user)
    if sites is None:
        return Q()
    return Q(owner_id=user.pk) | Q(resource__site_id__in=sites)


def tree_ids(resource_id: int) -> set[int]:
    """A resource, its ancestors and its descendants: the bookings that exclude each other."""
    return resource_tree_ids(resource_id)


def _blocking(queryset: QuerySet[Reservation], start: datetime | None, end: datetime | None) -> QuerySet:
    """Bookings whose [start, blocked_until) (the booking and its cleanup) overlaps [start, end):
    the exclusion constraint's own expression, so that its GiST index answers it."""
    return queryset.alias(span=TsTzRange("start", "blocked_until", RangeBoundary())).filter(
        span__overlap=DateTimeTZRange(start, end, "[)")
    )


def in_window(queryset: QuerySet[Reservation], start: datetime | None, end: datetime | None) -> QuerySet:
    """Bookings overlapping [start, end) (their cleanup aside)."""
    if start is None and end is None:
        return queryset
    found = _blocking(queryset, start, end)
    return found.filter(end__gt=start) if start is not None else found


def overlapping(resource_ids, start: datetime, blocked_until: datetime) -> QuerySet[Reservation]:
    """Confirmed bookings that a booking [start, end) followed by its cleanup (until `blocked_until`)
    would collide with: each one's own cleanup counts too."""
    holding = Reservation.objects.filter(resource_id__in=resource_ids, status__in=HOLDING)
    return _blocking(holding, start, blocked_until)


def collides(booking: Reservation, start: datetime, blocked_until: datetime) -> bool:
    """`overlapping` for one booking already read: the same rule, in Python."""
    return booking.start < blocked_until and booking.blocked_until > start


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime


def merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def free_between(busy: list[Interval], start: datetime, end: datetime, min_length: timedelta | None) -> list[Interval]:
    free, cursor = [], start
    for interval in merge(busy):
        if interval.start > cursor:
            free.append(Interval(cursor, min(interval.start, end)))
        cursor = max(cursor, interval.end)
        if cursor >= end:
            break
    if cursor < end:
        free.append(Interval(cursor, end))
    minimum = min_length or timedelta(0)
    return [slot for slot in free if slot.end - slot.start >= minimum and slot.end > slot.start]


# The widest window availability and the free-slot search look at in one request.
MAX_SEARCH_WINDOW = timedelta(days=92)


def busy_by_resource(resource_ids, start: datetime, end: datetime) -> dict[int, list[Interval]]:
    """{resource id: confirmed bookings of its tree (itself, ancestors, descendants) and their cleanup
    overlapping [start, end), clipped to it}, for many resources in one round trip."""
    busy: dict[int, list[Interval]] = {pk: [] for pk in resource_ids}
    for root, busy_start, busy_end in _busy_rows(list(busy), start, end, epoch=False):
        busy[root].append(Interval(busy_start, busy_end))
    return busy


def busy_epochs(resource_ids, start: datetime, end: datetime) -> dict[int, list[tuple[float, float]]]:
    """busy_by_resource in seconds since the epoch, sorted by start: for searches over many
    resources, where reading and comparing datetimes would cost more than the query."""
    busy: dict[int, list[tuple[float, float]]] = {pk: [] for pk in resource_ids}
    for root, busy_start, busy_end in _busy_rows(list(busy), start, end, epoch=True):
        busy[root].append((busy_start, busy_end))
    return busy


def _busy_rows(ids: list[int], start: datetime, end: datetime, *, epoch: bool) -> list[tuple]:
    if not ids:
        return []
    resources, bookings = Resource._meta.db_table, Reservation._meta.db_table
    first, last = "greatest(b.start, %(start)s)", "least(b.blocked_until, %(end)s)"
    if epoch:
        first, last = (f"extract(epoch FROM {column})::float8" for column in (first, last))
    columns = f"{first}, {last}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE up(root, id, parent_id, depth) AS (
                SELECT id, id, parent_id, 0 FROM {resources} WHERE id = ANY(%(ids)s)
                UNION ALL
                SELECT up.root, r.id, r.parent_id, up.depth + 1 FROM {resources} r JOIN up ON r.id = up.parent_id
                WHERE up.depth < %(depth)s
            ), down(root, id, depth) AS (
                SELECT id, id, 0 FROM {resources} WHERE id = ANY(%(ids)s)
                UNION ALL
                SELECT down.root, r.id, down.depth + 1 FROM {resources} r JOIN down ON r.parent_id = down.id
                WHERE down.depth < %(depth)s
            ), tree AS (SELECT root, id FROM up UNION SELECT root, id FROM down)
            SELECT tree.root, {columns}
            FROM tree JOIN {bookings} b ON b.resource_id = tree.id
            WHERE b.status = ANY(%(holding)s)
              AND tstzrange(b.start, b.blocked_until, '[)') && tstzrange(%(start)s, %(end)s, '[)')
            ORDER BY 1, 2
            """,  # noqa: S608 - table names come from the models; every value is a parameter
            {"ids": ids, "depth": MAX_TREE_DEPTH, "start": start, "end": end, "holding": list(HOLDING)},
        )
        return cursor.fetchall()


def _ceil_minute(moment: datetime) -> datetime:
    floored = moment.replace(second=0, microsecond=0)
    return floored if floored == moment else floored + timedelta(minutes=1)


def bookable_free(
    *, limits: rules.Limits, busy: list[Interval], start: datetime, end: datetime, min_length: timedelta | None
) -> list[Interval]:
    """Free time in [start, end) in which a booking within `limits` fits: nothing before the
    earliest allowed start, nothing starting after the horizon, at least the minimum length."""
    lower = max(start, _ceil_minute(limits.earliest)) if limits.earliest else start
    slots = []
    for slot in free_between(busy, lower, end, None) if lower < end else []:
        slot_end = slot.end
        if limits.latest is not None:
            if slot.start > limits.latest:
                break
            if limits.max_duration is not None:
                slot_end = min(slot_end, limits.latest + limits.max_duration)
        if slot_end - slot.start >= max(min_length or timedelta(0), limits.min_duration, timedelta(microseconds=1)):
            slots.append(Interval(slot.start, slot_end))
    return slots


def closed_intervals(resources, start: datetime, end: datetime) -> dict[int, list[Interval]]:
    """{resource id: the time closed to bookings in [start, end) (blackouts), clipped to it}."""
    return {
        pk: [Interval(max(c.start, start), min(c.end, end)) for c in closures]
        for pk, closures in hooks.closed(resources, start, end).items()
    }


def resource_availability(*, user, resource: Resource, start: datetime, end: datetime, min_length=None) -> dict:
    """The bookings of the resource's tree in [start, end), the busy time they make, and the
    free time in which `user` could book it (same rules as a booking)."""
    bookings = list(
        overlapping(tree_ids(resource.pk), start, end)
        .select_related("resource", "resource__site", "resource__resource_type", "owner")
        .order_by("start")
    )
    taken = [Interval(max(b.start, start), min(b.blocked_until, end)) for b in bookings]
    busy = merge(taken + closed_intervals([resource], start, end)[resource.pk])
    if not resource.is_bookable:
        return {"bookings": [b for b in bookings if b.end > start], "busy": [Interval(start, end)], "free": []}
    allowed = rules.limits(actor=user, resource=resource)
    free = bookable_free(limits=allowed, busy=busy, start=start, end=end, min_length=min_length)
    free = without_own_cleanup(free, resource.cleanup_time, window_end=end)
    return {"bookings": [b for b in bookings if b.end > start], "busy": busy, "free": free}


def without_own_cleanup(free: list[Interval], cleanup: timedelta, *, window_end: datetime) -> list[Interval]:
    """A free gap before a booking must also hold the new booking's cleanup: it ends that much earlier."""
    if not cleanup:
        return free
    shortened = [Interval(s.start, s.end - cleanup if s.end < window_end else s.end) for s in free]
    return [s for s in shortened if s.end > s.start]


def series_preview(*, actor, resource: Resource, start: datetime, end: datetime, rrule: str, parameters=None):
    """Each occurrence a rule would give, with what would refuse it (taken, or a rule of the type),
    before anything is booked. One query for the clashes of all of them."""
    starts = recurrence.occurrences(rrule, start, resource.site.time_zone)
    duration = end - start
    cleanup = resource.cleanup_time
    existing = list(
        overlapping(tree_ids(resource.pk), starts[0], starts[-1] + duration + cleanup).select_related(
            "resource", "resource__site", "owner"
        )
    )
    visible = details_visible_to(actor)
    zone = times.site_zone(resource.site)
    rows = []
    for occurrence in starts:
        occurrence_end = occurrence + duration
        clashes = [b for b in existing if collides(b, occurrence, occurrence_end + cleanup)]
        problem = ""
        if clashes:
            taken = clashes[0]
            by = f" by {names.person(taken.owner)}" if visible(taken) else ""
            problem = f"taken: {taken.resource.name} is booked{by}"
        else:
            try:
                rules.check(actor=actor, resource=resource, start=occurrence, end=occurrence_end, parameters=parameters)
            except ValidationError as exc:
                problem = " ".join(message for messages in exc.message_dict.values() for message in messages)
        rows.append({"start": occurrence, "when": times.span(occurrence, occurrence_end, zone), "problem": problem})
    return rows


def occupancy_now(resources, *, horizon: timedelta = timedelta(days=7)) -> dict[int, dict]:
    """{resource id: {"busy_until": moment or None, "next_busy": moment or None}} for the catalogue:
    is it (or its tree) booked now, until when, and when is it next taken. One query for all."""
    now = timezone.now()
    busy = busy_by_resource([r.pk for r in resources], now, now + horizon)
    found = {}
    for pk, intervals in busy.items():
        merged = merge(intervals)
        current = next((i for i in merged if i.start <= now < i.end), None)
        upcoming = next((i for i in merged if i.start > now), None)
        found[pk] = {
            "busy_until": current.end if current else None,
            "next_busy": upcoming.start if upcoming else None,
        }
    return found


def first_free_slot(*, user, resources, duration: timedelta, after: datetime, before: datetime):
    """(resource, start) of the earliest slot of `duration` in [after, before) that `user` could
    book on one of `resources` (ties: the first in the given order), or None. One query for the
    bookings of all candidates. A duration that no candidate's type allows is a ValidationError."""
    now = timezone.now()
    candidates, refusals, by_kind = [], [], {}
    for resource in resources:
        if not resource.is_bookable:
            continue
        key = (resource.site_id, resource.resource_type_id)  # the same limits for a site's type
        if key not in by_kind:
            by_kind[key] = rules.limits(actor=user, resource=resource, now=now)
        allowed = by_kind[key]
        refused = allowed.duration_errors(duration, resource.resource_type.name)
        if refused:
            refusals.extend(refused)
        else:
            candidates.append((resource, allowed))
    if refusals and not candidates:
        raise ValidationError({"duration": sorted(set(refusals))})
    busy = busy_by_resource([r.pk for r, _ in candidates], after, before)
    for pk, periods in closed_intervals([r for r, _ in candidates], after, before).items():
        busy[pk] = busy[pk] + periods
    best = None
    for resource, allowed in candidates:
        free = bookable_free(limits=allowed, busy=busy[resource.pk], start=after, end=before, min_length=duration)
        for slot in without_own_cleanup(free, resource.cleanup_time, window_end=before):
            fits = slot.start + duration <= slot.end and (allowed.latest is None or slot.start <= allowed.latest)
            if fits:
                if best is None or slot.start < best[1]:
                    best = (resource, slot.start)
                break
    return best


def free_after(booking: Reservation, *, within: timedelta = timedelta(hours=24)) -> datetime:
    """Until when the booking could be extended as far as other bookings go (the next one's start,
    less this booking's cleanup), looking at most `within` ahead."""
    horizon = booking.blocked_until + within
    following = (
        overlapping(tree_ids(booking.resource_id), booking.blocked_until, horizon)
        .exclude(pk=booking.pk)
        .order_by("start")
        .values_list("start", flat=True)
        .first()
    )
    return (following - booking.cleanup) if following else booking.end + within
