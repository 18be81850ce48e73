"""Reads of bookings, scoped to the sites a user may see, and availability."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.postgres.fields import RangeBoundary
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import QuerySet

from accounts.access import administered_site_ids, scope_to_sites, visible_site_ids
from resources.models import Resource, ResourceStatus
from resources.selectors import resource_tree_ids

from .models import Reservation, ReservationStatus, TsTzRange


def reservation_list(*, user) -> QuerySet[Reservation]:
    """Bookings of the sites the user may see (members see their colleagues' bookings as busy
    time; whose they are is for the owner and site administrators, see `can_see_details`)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Reservation.objects.none()
    return scope_to_sites(Reservation.objects.all(), visible_site_ids(user), "resource__site").select_related(
        "resource", "resource__resource_type", "resource__site", "owner", "series"
    )


def details_visible_to(user):
    """A predicate: may `user` see who booked, the title and the parameters of a booking?"""
    administered = administered_site_ids(user)

    def visible(reservation: Reservation) -> bool:
        if administered is None or reservation.owner_id == user.pk:
            return True
        return reservation.resource.site_id in administered

    return visible


def tree_ids(resource_id: int) -> set[int]:
    """A resource, its ancestors and its descendants: the bookings that exclude each other."""
    return resource_tree_ids(resource_id)


def in_window(queryset: QuerySet[Reservation], start: datetime | None, end: datetime | None) -> QuerySet:
    """Bookings overlapping [start, end). Written as the exclusion constraint's own expression,
    tstzrange(start, end) && window, so that its GiST index answers it."""
    if start is None and end is None:
        return queryset
    return queryset.alias(span=TsTzRange("start", "end", RangeBoundary())).filter(
        span__overlap=DateTimeTZRange(start, end, "[)")
    )


def overlapping(resource_ids, start: datetime, end: datetime) -> QuerySet[Reservation]:
    confirmed = Reservation.objects.filter(resource_id__in=resource_ids, status=ReservationStatus.CONFIRMED)
    return in_window(confirmed, start, end)


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


def resource_availability(*, resource: Resource, start: datetime, end: datetime, min_length=None) -> dict:
    bookings = list(
        overlapping(tree_ids(resource.pk), start, end)
        .select_related("resource", "resource__site", "resource__resource_type", "owner")
        .order_by("start")
    )
    if resource.status != ResourceStatus.ACTIVE:
        busy = [Interval(start, end)]
    else:
        busy = [Interval(max(b.start, start), min(b.end, end)) for b in bookings]
    return {
        "bookings": bookings,
        "busy": merge(busy),
        "free": free_between(busy, start, end, min_length) if resource.status == ResourceStatus.ACTIVE else [],
    }


def first_free_slot(*, resources, duration: timedelta, after: datetime, before: datetime):
    """(resource, start) of the earliest gap of `duration` among `resources`, or None."""
    best = None
    for resource in resources:
        if resource.status != ResourceStatus.ACTIVE:
            continue
        slots = resource_availability(resource=resource, start=after, end=before, min_length=duration)["free"]
        if slots and (best is None or slots[0].start < best[1]):
            best = (resource, slots[0].start)
    return best
