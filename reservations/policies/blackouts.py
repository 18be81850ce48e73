"""Blackouts: windows in which nothing can be booked, site-wide or for a resource's tree. Bookings
are checked against them under the tree lock, and a blackout is laid under the same locks, so a
booking and a blackout made at the same moment cannot both win."""

from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import ngettext

from common import times
from common.events import publish, snapshot
from common.exceptions import Conflict
from common.services import validated_save
from reservations import hooks, recurrence
from reservations.models import HOLDING, Reservation
from reservations.selectors import Interval, tree_ids
from reservations.services import reservation_cancel
from resources.models import Resource
from resources.tree import resource_ancestor_ids
from tenancy.access import administered_site_ids, require_site_admin, scope_to_sites, visible_site_ids
from tenancy.models import Site

from .models import Blackout, BlackoutPeriod


def _any_period(site_id: int, start: datetime, end: datetime) -> bool:
    """Whether the site has any blackout period in [start, end): one plain statement on the index
    (nearly every booking meets none; compiling the ORM's query for that was a tenth of a create).
    A statement of its own, so under the tree lock it sees a blackout committed while it waited."""
    with connection.cursor() as cursor:
        cursor.execute(_ANY_PERIOD, [site_id, end, start])
        return cursor.fetchone() is not None


_ANY_PERIOD = f'SELECT 1 FROM {BlackoutPeriod._meta.db_table} WHERE site_id = %s AND start < %s AND "end" > %s LIMIT 1'  # noqa: S608 - the table name comes from the model


def periods_over(resource: Resource, start: datetime, end: datetime) -> list[BlackoutPeriod]:
    """Blackout periods that close `resource` (site-wide ones, and those of its tree) within [start, end).
    One indexed query; the tree is read only when a resource's own blackout is among them (rare)."""
    if not _any_period(resource.site_id, start, end):
        return []
    periods = list(
        BlackoutPeriod.objects.filter(site_id=resource.site_id, start__lt=end, end__gt=start)
        .select_related("blackout", "blackout__resource")
        .order_by("start")
    )
    if any(p.resource_id for p in periods):
        tree = tree_ids(resource.pk)
        periods = [p for p in periods if p.resource_id is None or p.resource_id in tree]
    return periods


def check(resource: Resource, spans) -> None:
    """Conflict (code `blackout`) when a booking of `resource` over `spans` falls in a blackout."""
    if not spans:
        return
    first, last = min(s.start for s in spans), max(s.end for s in spans)
    for period in periods_over(resource, first, last):
        if any(s.start < period.end and s.end > period.start for s in spans):
            zone = times.site_zone(resource.site)
            where = period.blackout.resource.name if period.blackout.resource_id else resource.site.name
            raise Conflict(
                f"{where} is closed from {times.at(period.start, zone)} to {times.at(period.end, zone)}: "
                f"{period.blackout.reason}.",
                code="blackout",
                details={"blackout": period.blackout_id},
            )


def check_booking(*, owner, resource: Resource, spans, exclude, changed) -> None:
    """A booking's time (new, moved or on another resource) must not fall in a blackout."""
    if changed is None or {"start", "end", "resource"} & changed:
        check(resource, spans)


def closed_time(resources, start: datetime, end: datetime) -> dict[int, list[hooks.Closure]]:
    """{resource id: blackout periods closing it in [start, end)}, for the free-time searches."""
    found = {r.pk: [] for r in resources}
    if not found:
        return found
    site_ids = {r.site_id for r in resources}
    periods = list(
        BlackoutPeriod.objects.filter(site_id__in=site_ids, start__lt=end, end__gt=start)
        .order_by("start")
        .values_list("site_id", "resource_id", "start", "end", "blackout__reason")
    )
    # A resource's blackout closes its ancestors and descendants: one tree read per closed resource.
    trees = {rid: tree_ids(rid) for rid in {rid for _, rid, _, _, _ in periods if rid is not None}}
    for resource in resources:
        for site_id, resource_id, p_start, p_end, reason in periods:
            if site_id != resource.site_id or (resource_id is not None and resource.pk not in trees[resource_id]):
                continue
            found[resource.pk].append(hooks.Closure(p_start, p_end, reason))
    return found


def _lock(site: Site, resource: Resource | None) -> None:
    """The tree locks bookings take: the resource's root, or every root of the site."""
    if resource is not None:
        roots = [resource_ancestor_ids(resource.pk)[-1]]
    else:
        roots = list(Resource.objects.filter(site=site, parent__isnull=True).values_list("pk", flat=True))
    list(Resource.objects.select_for_update().filter(pk__in=sorted(roots)).order_by("pk").values_list("pk", flat=True))


def _bookings_in(site: Site, resource: Resource | None, spans: list[Interval]):
    scope = Reservation.objects.filter(resource__site=site, status__in=HOLDING)
    if resource is not None:
        scope = scope.filter(resource_id__in=tree_ids(resource.pk))
    window = Q()
    for span in spans:
        window |= Q(start__lt=span.end, end__gt=span.start)
    return scope.filter(window).select_related("resource", "resource__site", "owner").order_by("start")


@transaction.atomic
def blackout_create(
    *,
    actor,
    site: Site,
    start: datetime,
    end: datetime,
    reason: str,
    resource: Resource | None = None,
    rrule: str = "",
    cancel_bookings: bool = False,
) -> tuple[Blackout, list[Reservation]]:
    """Lays the blackout. Bookings inside it refuse it (409 naming them), unless `cancel_bookings`:
    then they are cancelled, each owner told why. Returns the blackout and what was cancelled."""
    require_site_admin(actor, site.pk, "close it")
    if resource is not None and resource.site_id != site.pk:
        raise Conflict("This resource is at another site.", code="invalid")
    blackout = Blackout(
        site=site, resource=resource, start=start, end=end, rrule=rrule, reason=reason, created_by=actor
    )
    validated_save(blackout)
    length = end - start
    starts = recurrence.occurrences(rrule, start, site.time_zone) if rrule else [start]
    spans = [Interval(s, s + length) for s in starts]
    _lock(site, resource)
    inside = list(_bookings_in(site, resource, spans))
    if inside and not cancel_bookings:
        zone = times.site_zone(site)
        first = inside[0]
        raise Conflict(
            ngettext("%(n)d booking falls", "%(n)d bookings fall", len(inside))
            % {"n": len(inside)}
            + f" in this blackout, the first {first.resource.name} from "
            f"{times.at(first.start, zone)}; cancel them with it, or choose another time.",
            code="blackout_conflicts",
            details={"bookings": [b.pk for b in inside[:100]]},
        )
    BlackoutPeriod.objects.bulk_create(
        [BlackoutPeriod(blackout=blackout, site=site, resource=resource, start=s.start, end=s.end) for s in spans]
    )
    publish(
        "blackout.created",
        actor=actor,
        instance=blackout,
        site_id=site.pk,
        after=snapshot(blackout),
        message=ngettext("%(n)d period", "%(n)d periods", len(spans)) % {"n": len(spans)}
        + "; "
        + ngettext("%(n)d booking cancelled.", "%(n)d bookings cancelled.", len(inside)) % {"n": len(inside)},
    )
    cancelled = [reservation_cancel(actor=actor, reservation=b, reason=f"Closed: {reason}") for b in inside]
    return blackout, cancelled


@transaction.atomic
def blackout_delete(*, actor, blackout: Blackout) -> None:
    require_site_admin(actor, blackout.site_id, "reopen it")
    publish("blackout.deleted", actor=actor, instance=blackout, site_id=blackout.site_id, before=snapshot(blackout))
    blackout.delete()


def blackouts_administered(*, user) -> QuerySet:
    return scope_to_sites(Blackout.objects.all(), administered_site_ids(user), "site").select_related(
        "site", "resource", "created_by"
    )


def blackouts_visible(*, user) -> QuerySet:
    return scope_to_sites(Blackout.objects.all(), visible_site_ids(user), "site").select_related("site", "resource")
