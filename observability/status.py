"""The operators' live status, scoped to the sites the user administers."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from machines.selectors import stale_agents
from registry.models import AllocationConflict
from reservations.models import Reservation, ReservationStatus
from resources.models import Resource
from tenancy.access import administered_site_ids, scope_to_sites
from webhooks.models import Delivery, DeliveryStatus
from webhooks.selectors import webhook_health, webhook_list

from .models import Heartbeat

STALE_AFTER = timedelta(seconds=45)


def live_status(user) -> dict:
    now = timezone.now()
    sites = administered_site_ids(user)
    resources = scope_to_sites(Resource.objects.all(), sites)
    by_site: dict[str, dict[str, int]] = {}
    for row in resources.values("site__name", "status").annotate(n=Count("id")).order_by("site__name"):
        by_site.setdefault(row["site__name"], {})[row["status"]] = row["n"]
    bookings = scope_to_sites(Reservation.objects.filter(status=ReservationStatus.CONFIRMED), sites, "resource__site")
    running = bookings.filter(start__lte=now, end__gt=now).select_related("resource", "owner").order_by("end")
    upcoming = bookings.filter(start__gt=now, start__lte=now + timedelta(hours=1)).select_related("resource", "owner")
    hooks = [(hook, webhook_health(hook)) for hook in webhook_list(user=user).order_by("name")]
    beats = {h.name: h.last_seen for h in Heartbeat.objects.all()}
    deliveries = scope_to_sites(Delivery.objects.all(), sites, "webhook__site")
    return {
        "generated_at": now,
        "resources_by_site": by_site,
        "running": [_booking(b) for b in running[:50]],
        "starting_within_hour": [_booking(b) for b in upcoming.order_by("start")[:50]],
        "webhooks": [
            {
                "id": hook.pk,
                "name": hook.name,
                "state": health["state"],
                "success_rate_day": health["windows"]["day"]["success_rate"],
                "last_failure": health["last_failure"],
            }
            for hook, health in hooks
        ],
        "processes": {
            name: {"last_seen": beats.get(name), "alive": bool(beats.get(name) and now - beats[name] < STALE_AFTER)}
            for name in ("worker", "beat")
        },
        "outbox_pending": deliveries.filter(
            Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.DELIVERING)
        ).count(),
        "stale_agents": [
            {"resource": t.resource.name, "name": t.name, "last_seen": t.last_seen_at}
            for t in stale_agents(user=user)[:50]
        ],
        "open_registry_conflicts": scope_to_sites(
            AllocationConflict.objects.filter(resolved_at__isnull=True), sites, "site_id"
        ).count(),
    }


def _booking(booking: Reservation) -> dict:
    return {
        "id": booking.pk,
        "resource": booking.resource.name,
        "owner": booking.owner.get_username(),
        "start": booking.start,
        "end": booking.end,
    }
