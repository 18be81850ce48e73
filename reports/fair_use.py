"""Fair-use figures for operators: no-shows per resource and per person, how long approvals take,
and how much of each quota people use. Each section is one aggregate query over the sites the
operator administers."""

from datetime import datetime, time, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Q
from django.utils import timezone

from common import times
from reservations.models import Reservation, ReservationStatus
from reservations.policies import quotas
from reservations.policies.models import QuotaRule
from tenancy.access import administered_site_ids, scope_to_sites


def _window(period, zone) -> tuple[datetime, datetime]:
    return (
        datetime.combine(period.start, time.min, tzinfo=zone),
        datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _hours(delta: timedelta | None) -> float | None:
    return round(delta.total_seconds() / 3600, 2) if delta is not None else None


def fair_use_report(*, user, period, site=None) -> dict:
    zone = times.site_zone(site) if site is not None else timezone.get_current_timezone()
    start, end = _window(period, zone)
    bookings = scope_to_sites(Reservation.objects.all(), administered_site_ids(user), "resource__site")
    if site is not None:
        bookings = bookings.filter(resource__site=site)

    checked = bookings.filter(checkin_until__isnull=False, checkin_until__gte=start, checkin_until__lt=end)
    no_show = Count("pk", filter=Q(release_reason="no_show"))
    per_resource = [
        {**row, "rate": _rate(row["no_shows"], row["bookings"])}
        for row in checked.values("resource_id", "resource__name")
        .annotate(bookings=Count("pk"), no_shows=no_show)
        .order_by("-no_shows", "resource__name")[:50]
    ]
    per_user = [
        {**row, "rate": _rate(row["no_shows"], row["bookings"])}
        for row in checked.values("owner_id", "owner__username")
        .annotate(bookings=Count("pk"), no_shows=no_show)
        .filter(no_shows__gt=0)
        .order_by("-no_shows", "owner__username")[:50]
    ]

    decided = bookings.filter(decided_at__gte=start, decided_at__lt=end)
    waited = ExpressionWrapper(F("decided_at") - F("created"), output_field=DurationField())
    approvals = decided.aggregate(
        approved=Count("pk", filter=Q(status=ReservationStatus.CONFIRMED)),
        rejected=Count("pk", filter=Q(status=ReservationStatus.REJECTED, decided_by__isnull=False)),
        expired=Count("pk", filter=Q(status=ReservationStatus.REJECTED, decided_by__isnull=True)),
        mean_wait=Avg(waited),
        longest_wait=Max(waited),
    )
    waiting_now = bookings.filter(status=ReservationStatus.PENDING).count()

    rules = scope_to_sites(QuotaRule.objects.all(), administered_site_ids(user), "site").select_related(
        "site", "resource_type"
    )
    if site is not None:
        rules = rules.filter(site=site)
    usage = []
    now = timezone.now()
    for rule in rules.order_by("site__name", "period"):
        current = quotas.period_of(now, rule.period, times.site_zone(rule.site))
        top = quotas.top_users(rule, current, limit=5)
        usage.append(
            {
                "rule": rule.pk,
                "scope": str(rule),
                "period_start": current.start,
                "max_hours": float(rule.max_hours) if rule.max_hours is not None else None,
                "top_users": top,
            }
        )
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "no_shows": {
            "bookings_with_check_in": checked.count(),
            "no_shows": checked.filter(release_reason="no_show").count(),
            "per_resource": per_resource,
            "per_user": per_user,
        },
        "approvals": {
            "approved": approvals["approved"],
            "rejected": approvals["rejected"],
            "expired": approvals["expired"],
            "mean_wait_hours": _hours(approvals["mean_wait"]),
            "longest_wait_hours": _hours(approvals["longest_wait"]),
            "waiting_now": waiting_now,
        },
        "quotas": usage,
    }
