"""What the agents report: one sample a minute per machine. Each sample is kept for a while, summed
into the use of every booking it covers, and read by the resource type's usage policy: the first
login checks a booking in, an idle machine is warned and then given back, and people who hold no
booking are reported. Every decision goes through the booking core's own services and events."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import times
from common.events import publish
from notifications.services import notify
from reservations.events import publish_booking
from reservations.models import Reservation, ReservationStatus
from reservations.policies.checkin import check_in_on_arrival
from reservations.services import free_the_rest
from resources.events import resource_event
from resources.tree import resource_ancestor_ids, resource_descendant_ids
from tenancy.access import site_administrators

from ..models import BookingUsage, MachineToken, UsagePolicy, UsageSample

OFF = UsagePolicy()  # a type without a policy: every policy off


@dataclass(frozen=True)
class Reading:
    """One sample as the agent sent it (validated by the API)."""

    taken_at: datetime
    interval: timedelta
    logged_in: list[str]
    shared_account: str | None
    load: float
    gpus: list[dict]
    foreign: list[dict]


def policy_of(resource_type) -> UsagePolicy:
    try:
        return resource_type.usage_policy
    except UsagePolicy.DoesNotExist:
        return OFF


@transaction.atomic
def usage_record(*, token: MachineToken, reading: Reading) -> UsageSample:
    machine = token.resource
    sample = UsageSample.objects.create(
        resource=machine,
        token=token,
        taken_at=reading.taken_at,
        interval=reading.interval,
        logged_in=reading.logged_in,
        load=reading.load,
        gpus=reading.gpus,
        foreign=reading.foreign,
    )
    related = {machine.pk, *resource_ancestor_ids(machine.pk), *resource_descendant_ids(machine.pk)}
    parts = related - {machine.pk, *resource_ancestor_ids(machine.pk)}
    covering = (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("resource__resource_type__usage_policy", "resource__site", "owner")
        .filter(
            resource_id__in=related,
            status=ReservationStatus.CONFIRMED,
            released_at__isnull=True,
            start__lte=reading.taken_at,
            end__gt=reading.taken_at,
        )
        .order_by("pk")
    )
    holders = set()
    for booking in covering:
        holders.add(booking.owner.username)
        _account(booking, reading, is_part=booking.resource_id in parts)
    if policy_of(machine.resource_type).report_unreserved:
        _report_unreserved(sample, reading, holders)
    return sample


def _present(booking: Reservation, reading: Reading) -> bool:
    account = reading.shared_account or booking.owner.username
    return account in reading.logged_in


def _gpus_of(booking: Reservation, gpus: list[dict]) -> list[dict]:
    """A booked part's own GPU, where the part names its index (attribute `index`); else all of them."""
    index = booking.resource.attributes.get("index") if isinstance(booking.resource.attributes, dict) else None
    own = [g for g in gpus if index is not None and str(g.get("index")) == str(index)]
    return own or gpus


def _account(booking: Reservation, reading: Reading, *, is_part: bool) -> None:
    """Adds the sample to the booking's use (under its row lock), then lets the policy decide."""
    policy = policy_of(booking.resource.resource_type)
    usage, _ = BookingUsage.objects.get_or_create(reservation=booking)
    gpus = _gpus_of(booking, reading.gpus) if is_part else reading.gpus
    utilisations = [min(max(float(g.get("utilization") or 0), 0), 100) for g in gpus]
    present = _present(booking, reading)
    busy = any(u > policy.idle_gpu_percent for u in utilisations)
    hours = reading.interval.total_seconds() / 3600
    if utilisations:
        share = (sum(utilisations) / len(utilisations)) if is_part else sum(utilisations)
        usage.gpu_hours_used += share / 100 * hours
        usage.gpus = 1 if is_part else max(usage.gpus, len(utilisations))
    usage.sampled += reading.interval
    if present and usage.first_login_at is None:
        usage.first_login_at = reading.taken_at
    if present or busy:
        usage.active += reading.interval
        usage.last_activity_at = reading.taken_at
    if present and policy.auto_checkin:
        check_in_on_arrival(booking, at=reading.taken_at, reason="first_login")
    if policy.idle_reclaim:
        _reclaim_if_idle(booking, usage, policy, idle=not (present or busy), at=reading.taken_at)
    usage.save()


def _reclaim_if_idle(booking: Reservation, usage: BookingUsage, policy: UsagePolicy, *, idle: bool, at) -> None:
    """Idle for idle_minutes: the owner is warned. Still idle idle_grace_minutes later: the booking
    ends now and its time goes to the waitlist. Use, or an extension after the warning, starts the
    idle clock again."""
    if not idle or (usage.idle_warned_at and booking.end != usage.idle_warned_end):
        usage.idle_since = at if idle else None
        usage.idle_warned_at = usage.idle_warned_end = None
        return
    usage.idle_since = usage.idle_since or at
    if usage.idle_warned_at is None:
        if at - usage.idle_since >= timedelta(minutes=policy.idle_minutes):
            _warn_idle(booking, usage, policy, at)
        return
    if at - usage.idle_warned_at >= timedelta(minutes=policy.idle_grace_minutes):
        free_the_rest(booking, actor=None, reason="idle", now=max(timezone.now(), booking.start))
        notify(
            user=booking.owner,
            kind="reservation.released",
            title=f"Your booking of {booking.resource.name} ended early: the machine was idle",
            body=f"Nobody used it since {times.at(usage.idle_since, times.user_zone(booking.owner))}; "
            "the rest of the time is free for others.",
            url=f"/reservations/{booking.pk}/",
        )


def _warn_idle(booking: Reservation, usage: BookingUsage, policy: UsagePolicy, at) -> None:
    usage.idle_warned_at, usage.idle_warned_end = at, booking.end
    grace = policy.idle_grace_minutes
    publish_booking(
        "reservation.idle_warned",
        booking,
        actor=None,
        audit_snapshot=False,
        reason="idle",
        idle_since=usage.idle_since.isoformat(),
        ends_at=(at + timedelta(minutes=grace)).isoformat(),
    )
    notify(
        user=booking.owner,
        kind="reservation.idle_warned",
        title=f"{booking.resource.name} is idle: your booking ends in {grace} minutes",
        body=f"Nobody has used it for {policy.idle_minutes} minutes. Log in, use it or extend the booking "
        "to keep it; otherwise the rest of the time goes to others.",
        url=f"/reservations/{booking.pk}/",
    )


def _report_unreserved(sample: UsageSample, reading: Reading, holders: set[str]) -> None:
    """Once per person per stretch of use: a user reported in the machine's previous sample was
    reported then."""
    previous = (
        UsageSample.objects.filter(resource=sample.resource, taken_at__lt=sample.taken_at).order_by("-taken_at").first()
    )
    seen = {entry.get("user") for entry in (previous.foreign if previous else [])}
    machine = sample.resource
    for entry in reading.foreign:
        user = entry.get("user")
        if not user or user in holders or user in seen:
            continue
        processes = entry.get("processes", 0)
        message = f"{user} runs {processes} process(es) on {machine.name} without a booking."
        publish(
            "machine.unreserved_use",
            actor=None,
            instance=sample,
            site_id=machine.site_id,
            message=message,
            event_data={**resource_event(machine), "user": user, "processes": processes,
                        "commands": entry.get("commands", [])[:5], "taken_at": sample.taken_at.isoformat()},
            resource=machine,
        )  # fmt: skip
        for admin in site_administrators(machine.site_id):
            notify(
                user=admin,
                kind="machine.unreserved_use",
                title=f"Unreserved use of {machine.name}",
                body=message,
                url=f"/resources/{machine.pk}/",
            )


def usage_samples_prune(*, now=None) -> int:
    """Samples older than USAGE_RETENTION_DAYS go; the bookings' summaries stay."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.USAGE_RETENTION_DAYS)
    deleted, _ = UsageSample.objects.filter(taken_at__lt=cutoff).delete()
    return deleted
