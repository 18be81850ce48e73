"""Leases: N matching resources booked together, all or none. Lease requests for one site's type
take turns (a transaction-scoped advisory lock), so that each picks from what the others left and
two of them never reach for the same machine; a single booking made meanwhile on a picked machine
only moves the lease on to the next one. Each booking is an ordinary booking (its rules, quotas,
events); the lease adds its own events, carrying every resource."""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from common import times
from common.events import publish, snapshot
from common.exceptions import Conflict
from notifications.services import notify
from reservations import rules
from reservations.events import booking_extras, owner_data
from reservations.models import HOLDING, Reservation, ReservationStatus
from reservations.services import reservation_cancel, reservation_create, reservation_update
from resources.events import resource_data, site_data
from resources.models import Resource, ResourceType
from tenancy.access import require_site_member
from tenancy.models import Site

from . import search
from .models import Lease

# The first key of the advisory lock pair: "leas", so it cannot meet other advisory locks.
_LOCK_CLASS = 0x6C656173


def _take_turns(site: Site, resource_type: ResourceType) -> None:
    with connection.cursor() as cursor:
        key = (site.pk * 1_000_003 + resource_type.pk) % 2**31
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, key])


def lease_event(lease: Lease, bookings: list[Reservation] | None = None, **extra) -> dict:
    bookings = bookings if bookings is not None else list(lease_bookings(lease))
    return {
        "lease": {
            "id": lease.pk,
            "title": lease.title,
            "count": lease.count,
            "where": lease.where,
            "resource_type": {"id": lease.resource_type_id, "name": lease.resource_type.name},
            "start": lease.start.astimezone(UTC).isoformat(),
            "end": lease.end.astimezone(UTC).isoformat(),
            "status": lease_status(lease, bookings),
            "reservation_ids": [b.pk for b in bookings],
            **extra,
        },
        "resources": [
            {**resource_data(b.resource), "reservation_id": b.pk, "status": b.status, **booking_extras(b)}
            for b in bookings
        ],
        "site": site_data(lease.site),
        "owner": owner_data(lease.owner),
    }


def lease_bookings(lease: Lease):
    """The lease's bookings, without the parts that ran on a machine before it failed (history)."""
    return (
        Reservation.objects.filter(lease=lease)
        .exclude(release_reason="replaced")
        .select_related("resource", "resource__site", "resource__resource_type", "resource__parent", "owner")
        .order_by("resource__name", "pk")
    )


def lease_status(lease: Lease, bookings: list[Reservation]) -> str:
    statuses = {b.status for b in bookings}
    if lease.cancelled_at is not None or not statuses & set(HOLDING):
        return ReservationStatus.CANCELLED if ReservationStatus.CANCELLED in statuses else next(iter(statuses), "")
    return ReservationStatus.PENDING if ReservationStatus.PENDING in statuses else ReservationStatus.CONFIRMED


def publish_lease(action: str, lease: Lease, *, actor, before=None, message: str = "", bookings=None, **extra) -> None:
    """`bookings`: the lease's bookings as lease_bookings() gives them, when the caller holds them."""
    bookings = list(lease_bookings(lease)) if bookings is None else bookings
    publish(
        action,
        actor=actor,
        instance=lease,
        site_id=lease.site_id,
        before=before,
        after=snapshot(lease),
        message=message,
        event_data=lease_event(lease, bookings, **extra),
        resources=[b.resource for b in bookings],  # resource- and type-scoped webhooks hear of it too
    )


def _shortfall(*, count: int, matching: int, found: int, start, end, resource_type, site) -> Conflict:
    zone = times.site_zone(site)
    return Conflict(
        f"Only {found} of the {matching} matching {resource_type.name} resources at {site.name} are free "
        f"{times.span(start, end, zone)}; {count} asked. Search a window to find the earliest time {count} are free.",
        code="not_enough_free",
        details={"free": found, "matching": matching, "asked": count},
    )


# Machines beyond the count whose event fields are read in advance: one taken meanwhile by a single
# booking is passed over for the next one.
_SPARE = 2


def _load_event_fields(resources: list) -> None:
    """The wide fields the search leaves in the database (see search.candidates) that each booking's
    event carries, for the machines about to be booked: one query, not two per machine."""
    wanted = [r for r in resources if "specs" not in r.__dict__ or "attributes" not in r.__dict__]
    loaded = Resource.objects.filter(pk__in=[r.pk for r in wanted]).values_list("pk", "specs", "attributes")
    by_id = {pk: (specs, attributes) for pk, specs, attributes in loaded}
    for resource in wanted:
        if resource.pk in by_id:  # one deleted meanwhile is refused by its booking, as before
            resource.specs, resource.attributes = by_id[resource.pk]


@transaction.atomic
def lease_create(
    *,
    actor,
    site: Site,
    resource_type: ResourceType,
    count: int,
    where: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    duration: timedelta | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    owner=None,
    title: str = "",
    description: str = "",
    parameters: dict | None = None,
) -> Lease:
    """Book `count` free resources matching `where` for [start, end), or for `duration` at the
    earliest start in [window_start, window_end) at which `count` are free together."""
    owner = owner or actor
    require_site_member(actor, site.pk, "You are not a member of this site.")
    if resource_type.site_id not in (None, site.pk):
        raise ValidationError({"resource_type": f"{resource_type.name} is not a type of {site.name}."})
    fixed = start is not None or end is not None
    if fixed and (start is None or end is None):
        raise ValidationError({"end" if start else "start": "Give both start and end, or a duration and a window."})
    if not fixed and (duration is None or window_start is None or window_end is None):
        raise ValidationError({"duration": "Give start and end, or a duration with window_start and window_end."})
    if fixed:
        if end <= start:
            raise ValidationError({"end": "The end must be after the start."})
        duration, window_start, window_end = end - start, start, end
    _take_turns(site, resource_type)
    pool = search.candidates(actor=actor, site=site, resource_type=resource_type, where=where)
    if len(pool) < count:
        raise ValidationError(
            {"count": f"Only {len(pool)} {resource_type.name} resources at {site.name} match; {count} asked."}
        )
    if fixed:  # the type's rules (past, notice, length, horizon, parameters) say why before "none free" would
        rules.check(actor=actor, resource=pool[0], start=start, end=end, parameters=parameters)
    windows, matching = search.find(
        actor=actor,
        site=site,
        resource_type=resource_type,
        count=count,
        duration=duration,
        after=window_start,
        before=window_end,
        pool=pool,
    )
    if not windows or (fixed and windows[0].start != start):
        found = 0
        if fixed:  # how many are free then, for the message: the same search for one
            single, _ = search.find(
                actor=actor,
                site=site,
                resource_type=resource_type,
                count=1,
                duration=duration,
                after=start,
                before=end,
                pool=pool,
            )
            found = single[0].available if single else 0
        raise _shortfall(
            count=count,
            matching=matching,
            found=found,
            start=window_start,
            end=window_end,
            resource_type=resource_type,
            site=site,
        )
    window = windows[0]
    lease = Lease(
        site=site,
        resource_type=resource_type,
        owner=owner,
        created_by=actor,
        title=title,
        where=where,
        count=count,
        start=window.start,
        end=window.end,
    )
    # The site, type and people are rows held here, and the window ends after it starts (checked
    # above, or found so): their keys and the end's CHECK are the database's, not five more queries.
    lease.full_clean(exclude=["site", "resource_type", "owner", "created_by"], validate_constraints=False)
    lease.save()
    _load_event_fields(window.resources[: count + _SPARE])
    made: list[Reservation] = []
    for resource in window.resources:
        if len(made) == count:
            break
        try:
            made.append(
                reservation_create(
                    actor=actor,
                    resource=resource,
                    start=window.start,
                    end=window.end,
                    owner=owner,
                    title=title,
                    description=description,
                    parameters=parameters,
                    lease=lease,
                )
            )
        except Conflict as exc:
            if exc.code != "overlap":
                raise  # a quota or a blackout refuses the lease, not just this machine
            # Taken meanwhile by a single booking of that machine (savepoint rolled back): the next one.
    if len(made) < count:
        raise _shortfall(
            count=count,
            matching=matching,
            found=len(made),
            start=window.start,
            end=window.end,
            resource_type=resource_type,
            site=site,
        )
    # The bookings just made, with their resources and their own events' knowledge that they hold no
    # allocations yet: read again, each would cost a query for its allocations (issue 39).
    made.sort(key=lambda booking: (booking.resource.name, booking.pk))
    publish_lease("lease.created", lease, actor=actor, bookings=made)
    if actor.pk != owner.pk:
        notify(
            user=owner,
            kind="lease.created",
            title=f"{actor.get_full_name() or actor.get_username()} leased {count} {resource_type.name} for you",
            body=", ".join(b.resource.name for b in made)
            + ". "
            + times.span(lease.start, lease.end, times.site_zone(site)),
            url=f"/leases/{lease.pk}/",
        )
    return lease


def _holding(lease: Lease) -> list[Reservation]:
    bookings = list(lease_bookings(lease).filter(status__in=HOLDING))
    if not bookings:
        raise Conflict("This lease has no bookings left; make a new one instead.", code="cancelled")
    return bookings


@transaction.atomic
def lease_update(*, actor, lease: Lease, start: datetime | None = None, end: datetime | None = None) -> Lease:
    """Move, extend or shorten every booking of the lease; one refused booking changes nothing."""
    bookings = _holding(lease)
    for booking in bookings:
        rules.require_can_change(actor=actor, reservation=booking)
    before = snapshot(lease)
    new_start, new_end = start or lease.start, end or lease.end
    if new_end <= new_start:
        raise ValidationError({"end": "The end must be after the start."})
    if (new_start, new_end) == (lease.start, lease.end):
        return lease
    together = [b.pk for b in bookings]
    for booking in bookings:
        try:
            reservation_update(actor=actor, reservation=booking, move_with=together, start=new_start, end=new_end)
        except Conflict as exc:
            raise Conflict(f"{booking.resource.name}: {exc.message}", code=exc.code, details=exc.details) from exc
    lease.start, lease.end = new_start, new_end
    lease.save(update_fields=["start", "end", "updated"])
    publish_lease("lease.updated", lease, actor=actor, before=before)
    return lease


@transaction.atomic
def lease_cancel(*, actor, lease: Lease, reason: str = "") -> Lease:
    bookings = list(lease_bookings(lease).filter(status__in=HOLDING))
    for booking in bookings:
        rules.require_can_change(actor=actor, reservation=booking)
    if lease.cancelled_at is not None and not bookings:
        return lease
    before = snapshot(lease)
    for booking in bookings:
        reservation_cancel(actor=actor, reservation=booking, reason=reason)
    lease.cancelled_at = timezone.now()
    lease.save(update_fields=["cancelled_at", "updated"])
    publish_lease("lease.cancelled", lease, actor=actor, before=before, message=reason, cancel_reason=reason[:500])
    return lease


def lock_lease_of(reservation_id: int) -> None:
    """The start/end task takes the lease's row before the booking's, so that the task of one
    booking can start the lease's other bookings without two tasks waiting on each other."""
    lease_id = Reservation.objects.filter(pk=reservation_id).values_list("lease_id", flat=True).first()
    if lease_id is not None:
        list(Lease.objects.select_for_update().filter(pk=lease_id).values_list("pk", flat=True))


def on_boundary(booking: Reservation, kind: str, now: datetime, *, fire) -> None:
    """Called by the start/end task for each booking, under its lease's and its own row lock. The
    lease starts with its first booking, which starts the others with it (so `lease.started`
    carries every resource and its allocations), and ends with its last; each event once."""
    if booking.lease_id is None or kind not in ("started", "ended"):
        return
    lease = Lease.objects.select_related("site", "resource_type", "owner").get(pk=booking.lease_id)
    field = f"{kind}_event_at"
    if getattr(lease, field) is not None:
        return
    if kind == "ended":
        others = Reservation.objects.filter(
            lease=lease, status=ReservationStatus.CONFIRMED, ended_event_at__isnull=True
        )
        if others.exclude(pk=booking.pk).exists():
            return
    setattr(lease, field, now)
    lease.save(update_fields=[field])
    if kind == "started":
        due = (
            Reservation.objects.select_for_update(of=("self",))
            .select_related("resource", "resource__site", "resource__resource_type", "resource__parent", "owner")
            .filter(lease=lease, status=ReservationStatus.CONFIRMED, started_event_at__isnull=True)
            .filter(start__lte=now + timedelta(milliseconds=50))
            .exclude(pk=booking.pk)
            .order_by("pk")
        )
        for other in due:
            fire(other, "started", now)
    bookings = list(lease_bookings(lease))
    publish(
        f"lease.{kind}",
        actor=None,
        instance=lease,
        site_id=lease.site_id,
        event_data=lease_event(
            lease, bookings, scheduled_at=(lease.start if kind == "started" else lease.end).isoformat()
        ),
        resources=[b.resource for b in bookings],
    )
