"""The waitlist. Joining needs a slot that is taken; leaving is always possible. Every change that
frees time (cancellation, shortening or moving, rejection, no-show release, check-out) reaches
`freed` through the core's hooks, in its own transaction: the first waiter (oldest entry) whose
whole slot is now free is booked for them (auto_book, through the same service and rules as any
booking) or told, once."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from common import times
from common.events import publish, snapshot
from common.exceptions import Conflict, PermissionDenied
from common.services import validated_save
from notifications.services import notify
from reservations import hooks, rules
from reservations.selectors import overlapping, tree_ids
from reservations.services import reservation_create
from resources.models import Resource
from tenancy.access import administered_site_ids, can_admin_site

from .models import WaitlistEntry, WaitlistStatus


@transaction.atomic
def join(
    *,
    actor,
    resource: Resource,
    start: datetime,
    end: datetime,
    auto_book: bool = True,
    title: str = "",
    parameters: dict | None = None,
) -> WaitlistEntry:
    """Wait for a taken slot with the booking as it would be made (title, parameters): the rules
    that do not depend on the slot being free are checked now, so that it can be booked when it frees."""
    rules.require_can_book(actor=actor, resource=resource, owner=actor)
    if start is None or end is None or end <= start:
        raise ValidationError({"end": "The end must be after the start."})
    if end <= timezone.now():
        raise ValidationError({"end": "This time is over."})
    hooks.admit(owner=actor, resource=resource)  # e.g. the training it needs: a booking's own check says it later
    parameters = rules.check(actor=actor, resource=resource, start=start, end=end, parameters=parameters)
    taken = overlapping(tree_ids(resource.pk), start, end + resource.cleanup_time).exists()
    if not taken:
        raise Conflict("This time is free: book it instead of waiting.", code="free")
    if WaitlistEntry.objects.filter(
        user=actor, resource=resource, start=start, end=end, status=WaitlistStatus.WAITING
    ).exists():
        raise Conflict("You are already waiting for this slot.", code="duplicate")
    entry = WaitlistEntry(
        user=actor,
        resource=resource,
        start=start,
        end=end,
        auto_book=auto_book,
        title=title,
        parameters=parameters,
    )
    validated_save(entry)
    publish("waitlist.joined", actor=actor, instance=entry, site_id=resource.site_id, after=snapshot(entry))
    return entry


@transaction.atomic
def leave(*, actor, entry: WaitlistEntry) -> WaitlistEntry:
    if actor.pk != entry.user_id and not can_admin_site(actor, entry.resource.site_id):
        raise PermissionDenied("Only the person waiting or a site administrator may remove this entry.")
    if entry.status != WaitlistStatus.WAITING:
        return entry
    before = snapshot(entry)
    entry.status, entry.resolved_at = WaitlistStatus.LEFT, timezone.now()
    entry.save(update_fields=["status", "resolved_at", "updated"])
    publish(
        "waitlist.left",
        actor=actor,
        instance=entry,
        site_id=entry.resource.site_id,
        before=before,
        after=snapshot(entry),
    )
    return entry


def freed(resource: Resource, start: datetime, end: datetime) -> WaitlistEntry | None:
    """Called inside the transaction that freed [start, end) of `resource`'s tree. Returns the
    entry that was served, if any."""
    now = timezone.now()
    if end <= now:
        return None
    candidates = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("user", "resource", "resource__site", "resource__resource_type")
        .filter(
            resource_id__in=tree_ids(resource.pk),
            status=WaitlistStatus.WAITING,
            start__lt=end,
            end__gt=max(start, now),
        )
        .order_by("created", "pk")
    )
    for entry in candidates:
        if entry.end <= now:
            continue
        still = overlapping(tree_ids(entry.resource_id), entry.start, entry.end + entry.resource.cleanup_time)
        if still.exists():
            continue  # only part of their slot freed: they keep waiting
        return _serve(entry, now)
    return None


def _serve(entry: WaitlistEntry, now) -> WaitlistEntry:
    before = snapshot(entry)
    zone = times.user_zone(entry.user)
    when = times.span(entry.start, entry.end, times.site_zone(entry.resource.site), zone)
    booking, refusal = None, ""
    if entry.auto_book:
        try:
            with transaction.atomic():
                booking = reservation_create(
                    actor=entry.user,
                    resource=entry.resource,
                    start=entry.start,
                    end=entry.end,
                    title=entry.title or "From the waitlist",
                    parameters=entry.parameters,
                )
        except (Conflict, ValidationError, PermissionDenied) as exc:
            refusal = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [str(exc)]))
    entry.resolved_at = now
    if booking is not None:
        entry.status, entry.booking, entry.note = WaitlistStatus.BOOKED, booking, f"Booked #{booking.pk}."
        title, body, url = (
            f"You got {entry.resource.name} from the waitlist",
            f"{when} is booked for you.",
            f"/reservations/{booking.pk}/",
        )
    else:
        entry.status = WaitlistStatus.OFFERED
        entry.note = f"Could not book it for you: {refusal}"[:300] if refusal else "Told the slot is free."
        title = f"{entry.resource.name} is free for the time you waited for"
        body = f"{when}." + (
            f" It could not be booked for you: {refusal}" if refusal else " Book it before someone else does."
        )
        url = f"/reservations/new/?resource={entry.resource_id}"
    entry.save(update_fields=["status", "booking", "resolved_at", "note", "updated"])
    notify(
        user=entry.user, kind="waitlist.promoted" if booking else "waitlist.offered", title=title, body=body, url=url
    )
    publish(
        "waitlist.promoted" if booking else "waitlist.offered",
        actor=None,
        instance=entry,
        site_id=entry.resource.site_id,
        before=before,
        after=snapshot(entry),
        event_data={
            "waitlist_entry": {
                "id": entry.pk,
                "user": entry.user.get_username(),
                "resource": entry.resource_id,
                "start": entry.start.isoformat(),
                "end": entry.end.isoformat(),
                "booking": booking.pk if booking else None,
                "note": entry.note,
            }
        },
        resource=entry.resource,
    )
    return entry


def waitlist_visible(*, user) -> QuerySet:
    """One's own entries; site administrators also those of their sites."""
    if user is None or not getattr(user, "is_authenticated", False):
        return WaitlistEntry.objects.none()
    entries = WaitlistEntry.objects.select_related("resource", "resource__site", "user", "booking")
    sites = administered_site_ids(user)
    if sites is None:
        return entries
    return entries.filter(Q(user=user) | Q(resource__site_id__in=sites))
