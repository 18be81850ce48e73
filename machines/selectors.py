"""What the agent on a machine may read: who holds it (or a whole it is part of, or a part of it)
now and in the next day, with their SSH keys."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import SshKey
from reservations.models import Reservation, ReservationStatus
from reservations.selectors import details_visible_q, reservation_list
from resources.tree import resource_ancestor_ids, resource_descendant_ids
from tenancy.access import administered_site_ids, scope_to_sites

from .models import BookingUsage, MachineToken, UsagePolicy, UsageSample

HORIZON = timedelta(hours=24)


def machine_state(resource) -> dict:
    now = timezone.now()
    related = {resource.pk, *resource_ancestor_ids(resource.pk), *resource_descendant_ids(resource.pk)}
    bookings = (
        Reservation.objects.filter(
            resource_id__in=related, status=ReservationStatus.CONFIRMED, end__gt=now, start__lt=now + HORIZON
        )
        .select_related("owner", "resource__resource_type__usage_policy")
        .prefetch_related(Prefetch("owner__ssh_keys", queryset=SshKey.objects.order_by("pk")))
        .order_by("start", "pk")
    )
    return {
        "resource": resource.name,
        "now": now.isoformat(),
        "holders": [
            {
                "booking": b.pk,
                "resource": b.resource.name,
                "username": b.owner.username,
                "start": b.start.isoformat(),
                "end": b.end.isoformat(),
                "keys": [key.public_key for key in b.owner.ssh_keys.all()],
                **_ending(b),
            }
            for b in bookings
        ],
    }


def machine_token_list(*, user):
    """The tokens of the machines at the sites the user administers (every site for global ones)."""
    tokens = MachineToken.objects.select_related("resource__site")
    return scope_to_sites(tokens, administered_site_ids(user), "resource__site")


def _ending(booking: Reservation) -> dict:
    """What the agent does as the booking ends, by its type's usage policy."""
    try:
        policy = booking.resource.resource_type.usage_policy
    except UsagePolicy.DoesNotExist:
        policy = UsagePolicy()
    return {"at_end": policy.at_end, "warn_minutes": policy.warn_minutes}


def usage_list(*, user):
    """The use of the bookings whose details the user may see (their own; their sites' as admins)."""
    bookings = reservation_list(user=user).filter(details_visible_q(user))
    return BookingUsage.objects.filter(reservation__in=bookings).select_related(
        "reservation__resource__site", "reservation__owner"
    )


def usage_of(reservation: Reservation) -> BookingUsage | None:
    try:
        return reservation.usage
    except BookingUsage.DoesNotExist:
        return None


def latest_sample(resource) -> UsageSample | None:
    """The machine's last sample, if its agent reported in the last AGENT_STALE_MINUTES."""
    since = timezone.now() - timedelta(minutes=settings.AGENT_STALE_MINUTES)
    return UsageSample.objects.filter(resource=resource, taken_at__gte=since).order_by("-taken_at").first()


def usage_samples(*, user):
    """Samples of the machines at the sites the user administers."""
    return scope_to_sites(UsageSample.objects.select_related("resource"), administered_site_ids(user), "resource__site")


def stale_agents(*, user):
    """Machines with a usable token whose agent has not been heard from in AGENT_STALE_MINUTES,
    at the sites the user administers."""
    since = timezone.now() - timedelta(minutes=settings.AGENT_STALE_MINUTES)
    tokens = MachineToken.objects.filter(revoked_at__isnull=True).exclude(last_seen_at__gte=since)
    return machine_token_list(user=user).filter(pk__in=tokens.values("pk")).order_by("last_seen_at")


def has_agent(resource) -> bool:
    return MachineToken.objects.filter(resource=resource, revoked_at__isnull=True).exists()


def usage_policy_list(*, user):
    return scope_to_sites(UsagePolicy.objects.select_related("resource_type"), administered_site_ids(user),
                          "resource_type__site")  # fmt: skip


def has_agent_among(resource_ids) -> bool:
    return MachineToken.objects.filter(resource_id__in=resource_ids, revoked_at__isnull=True).exists()


def last_report(resource):
    return (
        UsageSample.objects.filter(resource=resource).order_by("-taken_at").values_list("taken_at", flat=True).first()
    )


def booked_vs_used(*, site_ids, start, end, type_id=None) -> dict:
    """Measured bookings starting in [start, end) at the given sites (None: all): hours booked,
    measured and in use, and GPU-hours, per resource, type, site and person."""
    usages = BookingUsage.objects.filter(reservation__start__gte=start, reservation__start__lt=end)
    if site_ids is not None:
        usages = usages.filter(reservation__resource__site_id__in=site_ids)
    if type_id is not None:
        usages = usages.filter(reservation__resource__resource_type_id=type_id)
    rows = usages.values_list(
        "reservation__start", "reservation__end", "sampled", "active", "gpus", "gpu_hours_used",
        "reservation__resource_id", "reservation__resource__name",
        "reservation__resource__resource_type_id", "reservation__resource__resource_type__name",
        "reservation__resource__site_id", "reservation__resource__site__name",
        "reservation__owner_id", "reservation__owner__username",
    )  # fmt: skip
    groups = {"resources": {}, "resource_types": {}, "sites": {}, "people": {}, "totals": {}}
    for b_start, b_end, sampled, active, gpus, gpu_used, *keys in rows:
        booked = (b_end - b_start).total_seconds() / 3600
        figures = (booked, sampled.total_seconds() / 3600, active.total_seconds() / 3600, gpus * booked, gpu_used)
        named = zip(
            ("resources", "resource_types", "sites", "people"), zip(keys[::2], keys[1::2], strict=True), strict=True
        )
        for group, key in (*named, ("totals", (0, "all"))):
            entry = groups[group].setdefault(key, [0.0] * 5 + [0])
            for i, value in enumerate(figures):
                entry[i] += value
            entry[5] += 1
    return {group: [_used_figures(pk, name, e) for (pk, name), e in sorted(found.items(), key=lambda i: i[0][1])]
            for group, found in groups.items()}  # fmt: skip


def _used_figures(pk, name, entry) -> dict:
    booked, measured, used, gpu_booked, gpu_used, bookings = entry
    return {
        "id": pk, "name": name, "bookings": bookings, "booked_hours": round(booked, 2),
        "measured_hours": round(measured, 2), "used_hours": round(used, 2),
        "used_share": round(used / measured, 3) if measured else None,
        "gpu_hours_booked": round(gpu_booked, 2), "gpu_hours_used": round(gpu_used, 2),
    }  # fmt: skip
