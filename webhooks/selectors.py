from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from resources.tree import resource_ancestor_ids
from tenancy.access import administered_site_ids, scope_to_sites

from .models import Delivery, DeliveryAttempt, Event, Webhook
from .outbox import scope_filter


def webhook_list(*, user) -> QuerySet[Webhook]:
    """Webhooks of the sites the user administers (members do not see endpoints or headers)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Webhook.objects.none()
    return scope_to_sites(
        Webhook.objects.select_related("site", "resource", "resource_type"), administered_site_ids(user)
    )


def webhooks_for_resource(*, user, resource) -> QuerySet[Webhook]:
    """The webhooks (enabled or not) whose scope covers events about this resource."""

    path = resource_ancestor_ids(resource.pk)
    scope = scope_filter(resource_id=resource.pk, resource_type_id=resource.resource_type_id, path=path)
    return webhook_list(user=user).filter(scope, site_id=resource.site_id)


def delivery_list(*, user):
    if user is None or not getattr(user, "is_authenticated", False):
        return Delivery.objects.none()
    return scope_to_sites(
        Delivery.objects.select_related("event", "webhook"), administered_site_ids(user), "webhook__site"
    )


def event_list(*, user):
    """Outbox events of the sites the user administers (events without a site: global administrators)."""

    if user is None or not getattr(user, "is_authenticated", False):
        return Event.objects.none()
    return scope_to_sites(Event.objects.all(), administered_site_ids(user), "site_id")


def _percentile(values: list[int], p: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * p) - 1)]


def webhook_health(webhook: Webhook) -> dict:
    """Success rate and response times over the last hour, day and week; the last failure."""
    now = timezone.now()
    attempts = DeliveryAttempt.objects.filter(delivery__webhook=webhook)
    windows = {}
    for name, span in (("hour", timedelta(hours=1)), ("day", timedelta(days=1)), ("week", timedelta(days=7))):
        recent = attempts.filter(started__gte=now - span)
        counts = recent.aggregate(total=Count("id"), ok=Count("id", filter=Q(succeeded=True)))
        durations = list(recent.exclude(duration_ms=None).values_list("duration_ms", flat=True)[:20000])
        windows[name] = {
            "attempts": counts["total"],
            "success_rate": round(counts["ok"] / counts["total"], 4) if counts["total"] else None,
            "p50_ms": _percentile(durations, 0.5),
            "p95_ms": _percentile(durations, 0.95),
        }
    failure = attempts.filter(succeeded=False).order_by("-started").first()
    return {
        "state": webhook.state,
        "disabled_reason": webhook.disabled_reason,
        "consecutive_failures": webhook.consecutive_failures,
        "windows": windows,
        "last_failure": None
        if failure is None
        else {
            "at": failure.started,
            "status": failure.response_status,
            "reason": failure.error or f"HTTP {failure.response_status}",
        },
    }
