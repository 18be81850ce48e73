"""Every write to bookings. Two confirmed bookings of one resource tree never overlap: the tree's
root row is locked while we look for clashes (so writers of one tree take turns), and the
exclusion constraint refuses same-resource overlaps whatever happens."""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from common import names, times
from common.events import snapshot
from common.exceptions import Conflict
from common.metrics import BOOKING_CONFLICTS
from common.services import apply_changes, validated_insert, validated_save
from notifications.services import notify
from resources import attribute_filter
from resources.models import Resource
from resources.selectors import lock_tree_roots, one_configuration, tree_of

from . import hooks, recurrence, rules
from .events import owner_data, publish_booking, publish_series_created
from .models import HOLDING, Reservation, ReservationStatus, Series
from .selectors import collides, details_visible_to, overlapping, tree_ids

EDITABLE = (
    "resource",
    "start",
    "end",
    "title",
    "description",
    "parameters",
    "owner",
    "replace_if_down",
    "replace_where",
)


# --- Conflicts ------------------------------------------------------------------------------------


def _describe(clashes, actor) -> list[dict]:
    visible = details_visible_to(actor) if actor is not None else (lambda r: True)
    return [
        {
            "id": c.pk,
            "resource": c.resource_id,
            "resource_name": c.resource.name,
            "start": c.start.isoformat(),
            "end": c.end.isoformat(),
            "owner": c.owner.get_username() if visible(c) else None,
        }
        for c in clashes
    ]


def _conflict(clashes, actor, prefix: str = "", cleanup=None) -> Conflict:
    """`cleanup`: the new booking's own cleanup time, named when it is what collides."""
    BOOKING_CONFLICTS.inc()
    described = _describe(clashes, actor)
    first = clashes[0]
    by = f" by {names.person(first.owner)}" if described[0]["owner"] else ""
    more = f" and {len(clashes) - 1} more" if len(clashes) > 1 else ""
    then = f", then {rules.human(first.cleanup)} cleanup" if first.cleanup else ""
    own = f" (this booking needs {rules.human(cleanup)} cleanup after it)" if cleanup else ""
    return Conflict(
        f"{prefix}{first.resource.name} is already booked{by} from {rules.local(first.start, first.resource)} "
        f"to {rules.local(first.end, first.resource)}{then}{more}{own}.",
        code="overlap",
        details={"conflicts": described},
    )


def _clashes(resource: Resource, start: datetime, end: datetime, exclude=(), cleanup=None) -> list[Reservation]:
    """What a booking [start, end) of `resource` and its cleanup (the resource's, unless given) would collide with."""
    cleanup = resource.cleanup_time if cleanup is None else cleanup
    return list(
        overlapping(tree_of(resource)[1], start, end + cleanup)
        .exclude(pk__in=exclude)
        .select_related("resource", "resource__site", "owner")
        .order_by("start")[:20]
    )


# Relations a booking's service has read before saving it (the resource under its tree lock, the
# owner and actor from the request, the series or lease it makes): no existence queries for them.
_READ_RELATIONS = ("resource", "owner", "created_by", "series", "lease", "cancelled_by", "decided_by")


def _save(reservation: Reservation, actor) -> None:
    if reservation._state.adding:
        if not validated_insert(reservation, checked=_READ_RELATIONS):
            # Kept out by the exclusion constraint (alone in its tree it decides; in a tree the
            # lock makes this a lost race): the transaction is intact, so report with what.
            clashes = _clashes(reservation.resource, reservation.start, reservation.end, (), reservation.cleanup)
            if clashes:
                raise _conflict(clashes, actor, cleanup=reservation.cleanup)
            raise Conflict("This resource is already booked at that time (or being cleaned up).", code="overlap")
        return
    try:
        validated_save(reservation, checked=_READ_RELATIONS)
    except Conflict as exc:
        # Lost a race on the exclusion constraint (the lock makes this rare): report with what.
        clashes = _clashes(
            reservation.resource, reservation.start, reservation.end, [reservation.pk or 0], reservation.cleanup
        )
        raise (_conflict(clashes, actor, cleanup=reservation.cleanup) if clashes else exc) from exc


def _tell_owner(reservation: Reservation, actor, kind: str, verb: str, was: tuple | None = None) -> None:
    """`was`: (resource, start, end) before a change, so the owner reads what moved where."""
    if actor is None or actor.pk == reservation.owner_id:
        return
    viewer = times.user_zone(reservation.owner)
    before = ""
    if was is not None and was != (reservation.resource, reservation.start, reservation.end):
        resource, start, end = was
        before = f"Was: {resource.name}, {times.span(start, end, times.site_zone(resource.site), viewer)}. Now: "
    notify(
        user=reservation.owner,
        kind=kind,
        title=f"{names.person(actor)} {verb} your booking of {reservation.resource.name}",
        body=before
        + (f"{reservation.resource.name}, " if before else "")
        + times.booking_span(reservation, viewer)
        + "."
        + (f" Reason: {reservation.cancel_reason}" if reservation.cancel_reason else ""),
        url=f"/reservations/{reservation.pk}/",
    )


def free_the_rest(booking: Reservation, *, actor, reason: str, now: datetime) -> None:
    """Ends the booking now (a no-show, a check-out, a move off a failed resource); its rest is free
    (the trigger moves blocked_until with the end). Call it under the booking's row lock."""
    before = snapshot(booking)
    running = booking.started_event_at is not None and booking.ended_event_at is None
    old_end = booking.end
    booking.end = max(now, booking.start + timedelta(seconds=1))
    booking.released_at, booking.release_reason = now, reason
    # Its boundaries are settled now: a booking that never started (nothing was provisioned) must
    # not start late, and one that ran ends here, not at its old end.
    booking.started_event_at = booking.started_event_at or now
    booking.ending_soon_event_at = booking.ending_soon_event_at or now
    booking.ended_event_at = booking.ended_event_at or now
    fields = ["end", "released_at", "release_reason", "started_event_at", "ending_soon_event_at", "ended_event_at"]
    booking.save(update_fields=[*fields, "updated"])
    publish_booking(
        "reservation.released", booking, actor=actor, before=before, reason=reason, booked_until=old_end.isoformat()
    )
    if running:
        publish_booking(
            "reservation.ended",
            booking,
            actor=actor,
            audit_snapshot=False,
            released=reason,
            scheduled_at=now.isoformat(),
        )
    hooks.freed(booking.resource, booking.end, old_end)


# --- Single bookings --------------------------------------------------------------------------------


def _check_where(where: str) -> None:
    """A replacement filter that cannot be read is refused when it is given, not when a machine fails."""
    try:
        attribute_filter.parse(where)
    except ValidationError as exc:
        raise ValidationError({"replace_where": exc.message_dict["where"]}) from exc


def _not_holding(reservation: Reservation) -> Conflict:
    return Conflict(
        f"This booking is {reservation.get_status_display().lower()}; make a new one instead.",
        code=reservation.status,
    )


@transaction.atomic
def reservation_create(
    *,
    actor,
    resource: Resource,
    start: datetime,
    end: datetime,
    owner=None,
    title: str = "",
    description: str = "",
    parameters: dict | None = None,
    lease=None,
    replace_if_down: bool = False,
    replace_where: str = "",
) -> Reservation:
    owner = owner or actor
    _check_where(replace_where)
    rules.require_can_book(actor=actor, resource=resource, owner=owner)
    cleaned = rules.check(actor=actor, resource=resource, start=start, end=end, parameters=parameters)
    lock_tree_roots(resource)
    with one_configuration(resource):  # quota rules, booking templates, webhooks: one version
        if len(tree_of(resource)[1]) > 1:  # alone in its tree, the exclusion constraint decides (_save)
            clashes = _clashes(resource, start, end)
            if clashes:
                raise _conflict(clashes, actor, cleanup=resource.cleanup_time)
        hooks.check(owner=owner, resource=resource, spans=[hooks.Span(start, end)])
        reservation = Reservation(
            resource=resource,
            owner=owner,
            created_by=actor,
            title=title,
            description=description,
            start=start,
            end=end,
            cleanup=resource.cleanup_time,
            parameters=cleaned,
            lease=lease,
            replace_if_down=replace_if_down,
            replace_where=replace_where,
        )
        hooks.prepare(reservation, actor=actor)  # a check-in deadline; approval makes it pending
        _save(reservation, actor)
        if reservation.status == ReservationStatus.PENDING:
            publish_booking(
                "reservation.pending", reservation, actor=actor, pending_until=reservation.pending_until.isoformat()
            )
        else:
            publish_booking("reservation.created", reservation, actor=actor)
            _tell_owner(reservation, actor, "reservation.created", "made")
        hooks.created([reservation], actor=actor)
        return reservation


@transaction.atomic
def reservation_update(
    *, actor, reservation: Reservation, move_with: list[int] | None = None, **changes
) -> Reservation:
    """`move_with`: the other bookings moving with this one in the same operation (a lease)."""
    together = [reservation.pk, *(move_with or [])]
    return _apply_update(actor=actor, reservation=reservation, changes=changes, move_with=together)


def _apply_update(*, actor, reservation: Reservation, changes: dict, move_with: list[int]) -> Reservation:
    """`move_with`: bookings moving in the same operation (a series), which it may not collide with."""
    rules.require_can_change(actor=actor, reservation=reservation)
    if reservation.status not in HOLDING:
        raise _not_holding(reservation)
    before = snapshot(reservation)
    old_resource = reservation.resource
    was = (reservation.resource, reservation.start, reservation.end)
    changed = apply_changes(reservation, changes, allowed=EDITABLE)
    if not changed:
        return reservation
    if "replace_where" in changed:
        _check_where(reservation.replace_where)
    if "owner" in changed or "resource" in changed:
        rules.require_can_book(actor=actor, resource=reservation.resource, owner=reservation.owner)
    if before["end"] and reservation.end <= timezone.now() and {"start", "end", "resource"} & set(changed):
        raise Conflict("This booking is over; its time can no longer change.", code="finished")
    reservation.parameters = rules.check(
        actor=actor,
        resource=reservation.resource,
        start=reservation.start,
        end=reservation.end,
        parameters=reservation.parameters,
        start_changed="start" in changed or "resource" in changed,
    )
    if "resource" in changed:
        reservation.cleanup = reservation.resource.cleanup_time
    hooks.prepare(reservation, actor=actor, changed=frozenset(changed))
    if {"start", "end", "resource"} & set(changed):
        lock_tree_roots(old_resource, reservation.resource)
        clashes = _clashes(reservation.resource, reservation.start, reservation.end, move_with, reservation.cleanup)
        if clashes:
            raise _conflict(clashes, actor, cleanup=reservation.cleanup)
    if {"start", "end", "resource", "owner"} & set(changed):
        if "owner" in changed and not {"start", "end", "resource"} & set(changed):
            lock_tree_roots(reservation.resource)  # the order every writer takes: trees, then the owner
        hooks.check(
            owner=reservation.owner,
            resource=reservation.resource,
            spans=[hooks.Span(reservation.start, reservation.end)],
            exclude=[reservation.pk],
            changed=frozenset(changed),
        )
    if "start" in changed:
        reservation.reminder_sent_at = None
    if "end" in changed:
        reservation.ending_soon_sent_at = None
        reservation.ending_soon_event_at = None
    _save(reservation, actor)
    publish_booking("reservation.updated", reservation, actor=actor, before=before)
    if was != (reservation.resource, reservation.start, reservation.end):
        hooks.freed(*was)  # the time it left (the waitlist serves whoever waits for it)
    _tell_owner(reservation, actor, "reservation.updated", "changed", was=was)
    return reservation


@transaction.atomic
def reservation_cancel(*, actor, reservation: Reservation, reason: str = "") -> Reservation:
    rules.require_can_change(actor=actor, reservation=reservation)
    # Under the row lock the start/end task also takes: whether it is running is decided on fresh data.
    list(Reservation.objects.select_for_update(of=("self",)).filter(pk=reservation.pk).values_list("pk", flat=True))
    reservation.refresh_from_db(fields=["status", "started_event_at", "ended_event_at"])
    if reservation.status not in HOLDING:
        return reservation  # cancelled or rejected already: nothing holds the time any more
    before = snapshot(reservation)
    now = timezone.now()
    running = reservation.started_event_at is not None and reservation.ended_event_at is None
    reservation.status = ReservationStatus.CANCELLED
    reservation.cancelled_at = now
    reservation.cancelled_by = actor
    reservation.cancel_reason = reason[:500]
    if running:
        reservation.ended_event_at = now
    reservation.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "ended_event_at", "updated"]
    )
    publish_booking("reservation.cancelled", reservation, actor=actor, before=before, message=reason)
    hooks.freed(reservation.resource, reservation.start, reservation.end)
    if running:
        # A running booking ends now: receivers revoke access at the cancellation, not at the old end.
        publish_booking(
            "reservation.ended", reservation, actor=actor, ended_by_cancellation=True, scheduled_at=now.isoformat()
        )
    _tell_owner(reservation, actor, "reservation.cancelled", "cancelled")
    return reservation


# --- Series ---------------------------------------------------------------------------------------


@dataclass
class SeriesResult:
    series: Series
    created: list[Reservation] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


@transaction.atomic
def series_create(
    *,
    actor,
    resource: Resource,
    start: datetime,
    end: datetime,
    rrule: str,
    owner=None,
    title: str = "",
    description: str = "",
    parameters: dict | None = None,
    skip_conflicts: bool = False,
    replace_if_down: bool = False,
    replace_where: str = "",
) -> SeriesResult:
    """All occurrences or none; with `skip_conflicts`, the free ones, and a report of the others."""
    owner = owner or actor
    _check_where(replace_where)
    rules.require_can_book(actor=actor, resource=resource, owner=owner)
    duration = end - start
    starts = recurrence.occurrences(rrule, start, resource.site.time_zone)
    cleaned = rules.check(actor=actor, resource=resource, start=start, end=end, parameters=parameters)
    for occurrence in starts[1:]:
        rules.check(actor=actor, resource=resource, start=occurrence, end=occurrence + duration, parameters=cleaned)
    lock_tree_roots(resource)
    cleanup = resource.cleanup_time
    existing = list(
        overlapping(tree_ids(resource.pk), starts[0], starts[-1] + duration + cleanup).select_related(
            "resource", "resource__site", "owner"
        )
    )
    series = Series.objects.create(
        resource=resource,
        owner=owner,
        rrule=rrule,
        time_zone=resource.site.time_zone,
        first_start=start,
        duration=duration,
        title=title,
    )
    result = SeriesResult(series=series)
    closed_periods = hooks.closed([resource], starts[0], starts[-1] + duration)[resource.pk]
    refused, closed = [], []
    for occurrence in starts:
        occurrence_end = occurrence + duration
        clashes = [b for b in existing if collides(b, occurrence, occurrence_end + cleanup)]
        if clashes:
            refused.append((occurrence, clashes))
            continue
        shut = [p for p in closed_periods if p.start < occurrence_end and p.end > occurrence]
        if shut:
            closed.append((occurrence, shut[0]))
            continue
        booking = Reservation(
            resource=resource,
            owner=owner,
            created_by=actor,
            title=title,
            description=description,
            start=occurrence,
            end=occurrence_end,
            cleanup=cleanup,
            parameters=cleaned,
            series=series,
            replace_if_down=replace_if_down,
            replace_where=replace_where,
        )
        hooks.prepare(booking, actor=actor)
        result.created.append(booking)
    if result.created:
        hooks.check(owner=owner, resource=resource, spans=[hooks.Span(r.start, r.end) for r in result.created])
    if closed and not skip_conflicts:
        occurrence, _ = closed[0]
        hooks.check(owner=owner, resource=resource, spans=[hooks.Span(occurrence, occurrence + duration)])
    if refused and not skip_conflicts:
        occurrence, clashes = refused[0]
        error = _conflict(clashes, actor, prefix=f"Occurrence {rules.local(occurrence, resource)}: ")
        error.details["refused_occurrences"] = [o.isoformat() for o, _ in refused]
        raise error
    if not result.created:
        raise Conflict("Every occurrence of this series collides with existing bookings or blackouts.", code="overlap")
    result.skipped = [
        {"start": o.isoformat(), "end": (o + duration).isoformat(), "conflicts": _describe(c, actor)}
        for o, c in refused
    ] + [
        {"start": o.isoformat(), "end": (o + duration).isoformat(), "conflicts": [], "blackout": p.reason}
        for o, p in closed
    ]
    try:
        with transaction.atomic():
            Reservation.objects.bulk_create(result.created)
    except IntegrityError as exc:
        raise Conflict("Another booking took one of these slots a moment ago; try again.", code="overlap") from exc
    publish_series_created(series, result.created, actor=actor, skipped=len(result.skipped), owner=owner_data(owner))
    hooks.created(result.created, actor=actor)
    if result.created[0].status != ReservationStatus.PENDING:
        _tell_owner(
            result.created[0],
            actor,
            "reservation.created",
            f"made {len(result.created)} bookings in a series starting with",
        )
    return result


SCOPES = ("this", "following", "all")


def _targets(reservation: Reservation, scope: str) -> list[Reservation]:
    if scope not in SCOPES:
        raise ValidationError({"scope": f"Scope must be one of: {', '.join(SCOPES)}."})
    if scope == "this" or reservation.series_id is None:
        return [reservation]
    occurrences = Reservation.objects.filter(series_id=reservation.series_id, status__in=HOLDING)
    if scope == "following":
        occurrences = occurrences.filter(start__gte=reservation.start)
    else:
        occurrences = occurrences.filter(end__gt=timezone.now())
    return list(occurrences.select_related("resource", "resource__site", "owner").order_by("start"))


def _shift_local(moment: datetime, old_anchor: datetime, new_anchor: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """Move `moment` by the wall-clock distance between the anchors (09:00 stays 09:00 across DST)."""
    wall = moment.astimezone(tz).replace(tzinfo=None)
    delta = new_anchor.astimezone(tz).replace(tzinfo=None) - old_anchor.astimezone(tz).replace(tzinfo=None)
    return (wall + delta).replace(tzinfo=tz)


@transaction.atomic
def series_update(*, actor, reservation: Reservation, scope: str = "this", **changes) -> list[Reservation]:
    """Change one occurrence, this and the following ones, or the whole (remaining) series: a new
    start moves each by the same wall-clock distance, a new end sets each one's length."""
    if reservation.status not in HOLDING:
        # The occurrence the change is anchored on must itself be changeable, as a single one is.
        raise _not_holding(reservation)
    targets = _targets(reservation, scope)
    if len(targets) == 1:
        return [reservation_update(actor=actor, reservation=reservation, **changes)]
    tz = zoneinfo.ZoneInfo(reservation.resource.site.time_zone)
    new_start = changes.pop("start", reservation.start)
    new_end = changes.pop("end", None)
    length = (new_end - new_start) if new_end is not None else None
    ids = [t.pk for t in targets]
    plans = []
    for target in targets:
        start = _shift_local(target.start, reservation.start, new_start, tz)
        end = start + (length if length is not None else target.end - target.start)
        plans.append((target, {**changes, "start": start, "end": end}))
    # Moving later, the last occurrence goes first (and earlier, the first): no step of the move
    # lands on a slot another occurrence still holds.
    plans.sort(key=lambda plan: plan[0].start, reverse=new_start >= reservation.start)
    return [_apply_update(actor=actor, reservation=t, changes=c, move_with=ids) for t, c in plans]


@transaction.atomic
def series_cancel(*, actor, reservation: Reservation, scope: str = "this", reason: str = "") -> list[Reservation]:
    targets = _targets(reservation, scope)
    return [reservation_cancel(actor=actor, reservation=target, reason=reason) for target in targets]


def future_bookings_of(resource: Resource):
    return Reservation.objects.filter(
        resource_id__in=tree_ids(resource.pk), status__in=HOLDING, end__gt=timezone.now()
    ).select_related("resource", "resource__site", "owner")
