"""Quotas: how much of a site one person may book (QuotaRule). Checked by every booking write of
the services, for the booking's owner, under a per-owner transaction lock: twenty parallel requests
by one person are counted one after the other, so none can slip past the limit."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django.utils.translation import ngettext

from common import times
from common.db import config_cache
from common.events import publish, snapshot
from common.exceptions import Conflict
from common.services import apply_changes, guarded_delete, validated_save
from reservations.models import HOLDING, Reservation
from resources.models import Resource
from resources.selectors import config_version_for
from tenancy.access import administered_site_ids, can_admin_site, require_site_admin, scope_to_sites, visible_site_ids

from .models import QuotaPeriod, QuotaRule

# The first key of the advisory lock pair: "quota", so it cannot meet other advisory locks.
_LOCK_CLASS = 0x71756F74
_GROUP_LOCK_CLASS = 0x71756F75


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


def _hours(delta: timedelta) -> str:
    hours = Decimal(delta.total_seconds()) / 3600
    return f"{hours.quantize(Decimal('0.1')).normalize():f} h"


def period_of(moment: datetime, period: str, zone) -> Span:
    """The day, week (Monday first) or month that holds `moment`, on the site's clock."""
    local = moment.astimezone(zone).date()
    if period == QuotaPeriod.DAY:
        first, after = local, local + timedelta(days=1)
    elif period == QuotaPeriod.WEEK:
        first = local - timedelta(days=local.weekday())
        after = first + timedelta(days=7)
    else:
        first = local.replace(day=1)
        after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Span(datetime.combine(first, time.min, tzinfo=zone), datetime.combine(after, time.min, tzinfo=zone))


def _periods(spans: list[Span], period: str, zone) -> list[Span]:
    found: dict[datetime, Span] = {}
    for span in spans:
        cursor = period_of(span.start, period, zone)
        while cursor.start < span.end:
            found[cursor.start] = cursor
            cursor = period_of(cursor.end, period, zone)
    return [found[key] for key in sorted(found)]


def _overlap(span: Span, within: Span) -> timedelta:
    return max(timedelta(0), min(span.end, within.end) - max(span.start, within.start))


def rules_for(resource: Resource, owner) -> list[QuotaRule]:
    """The rules that count a booking of `resource` by `owner`: the person's own, and those of
    the groups (teams) they belong to."""
    site_rules = config_cache.cached(
        ("quota_rules", resource.site_id),
        config_version_for(resource),
        lambda: list(
            QuotaRule.objects.filter(site_id=resource.site_id)
            .select_related("site", "resource_type", "group")
            .order_by("pk")
        ),
    )
    rules = [rule for rule in site_rules if rule.resource_type_id in (None, resource.resource_type_id)]
    if any(rule.group_id for rule in rules):
        groups = set(owner.groups.values_list("pk", flat=True))
        rules = [rule for rule in rules if rule.group_id is None or rule.group_id in groups]
    return rules


def _counted(rule: QuotaRule, owner, exclude) -> "QuerySet[Reservation]":
    """The bookings a rule counts for `owner`: theirs, or all of their group's members'."""
    whose = Q(owner__groups=rule.group_id) if rule.group_id else Q(owner=owner)
    bookings = Reservation.objects.filter(whose, status__in=HOLDING, resource__site_id=rule.site_id).exclude(
        pk__in=list(exclude)
    )
    if rule.resource_type_id:
        bookings = bookings.filter(resource__resource_type_id=rule.resource_type_id)
    return bookings


def _used_in(rule: QuotaRule, owner, period: Span, exclude) -> timedelta:
    used = (
        _counted(rule, owner, exclude)
        .filter(start__lt=period.end, end__gt=period.start)
        .aggregate(total=Sum(Least(F("end"), period.end) - Greatest(F("start"), period.start)))["total"]
    )
    return used or timedelta(0)


def _scope(rule: QuotaRule) -> str:
    kind = f"{rule.resource_type.name} at " if rule.resource_type_id else ""
    whose = f" for {rule.group.name}" if rule.group_id else ""
    return f"{kind}{rule.site.name}{whose}"


def _period_name(rule: QuotaRule, period: Span, zone) -> str:
    local = period.start.astimezone(zone)
    if rule.period == QuotaPeriod.DAY:
        return f"on {local:%a %Y-%m-%d}"
    if rule.period == QuotaPeriod.WEEK:
        return f"in the week of {local:%Y-%m-%d}"
    return f"in {local:%B %Y}"


def exempt(owner, resource: Resource) -> bool:
    return settings.QUOTA_EXEMPT_ADMINS and can_admin_site(owner, resource.site_id)


def lock_owner(owner, groups=()) -> None:
    """Serialises the quota checks of one person, and of each group whose rules count them, until
    the transaction ends (always the person first, then groups in order: no deadlock)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, owner.pk % 2**31])
        for group_id in sorted(set(groups)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_GROUP_LOCK_CLASS, group_id % 2**31])


def check_booking(*, owner, resource: Resource, spans, exclude, changed) -> None:
    """A booking's time, resource or owner changing is counted again against the owner's quotas."""
    if changed is None or {"start", "end", "resource", "owner"} & changed:
        check(owner=owner, resource=resource, spans=spans, exclude=exclude)


def check(*, owner, resource: Resource, spans: list[Span], exclude=()) -> None:
    """Raises Conflict (code `quota`) naming the rule and the numbers if booking `spans` of
    `resource` for `owner` (besides their bookings, less `exclude`) breaks a quota rule."""
    rules = rules_for(resource, owner)
    if not rules or not spans or exempt(owner, resource):
        return
    lock_owner(owner, [rule.group_id for rule in rules if rule.group_id])
    zone = times.site_zone(resource.site)
    for rule in rules:
        if rule.max_hours is not None:
            limit = timedelta(hours=float(rule.max_hours))
            for period in _periods(spans, rule.period, zone):
                used = _used_in(rule, owner, period, exclude)
                needed = sum((_overlap(span, period) for span in spans), timedelta(0))
                if used + needed > limit:
                    raise Conflict(
                        f"Quota: {_hours(used)} of {_hours(limit)} used {_period_name(rule, period, zone)} at "
                        f"{_scope(rule)}; this booking needs {_hours(needed)}.",
                        code="quota",
                        details={"rule": rule.pk, "used_hours": used.total_seconds() / 3600},
                    )
        if rule.max_future is not None:
            now = timezone.now()
            ahead = _counted(rule, owner, exclude).filter(end__gt=now).count()
            new = sum(1 for span in spans if span.end > now)
            if ahead + new > rule.max_future:
                raise Conflict(
                    ngettext("Quota: you have %(n)d booking ahead", "Quota: you have %(n)d bookings ahead", ahead)
                    % {"n": ahead}
                    + f" at {_scope(rule)}, at most {rule.max_future} allowed.",
                    code="quota",
                    details={"rule": rule.pk},
                )
        if rule.max_concurrent is not None:
            _check_concurrent(rule, owner, spans, exclude)


def _check_concurrent(rule: QuotaRule, owner, spans: list[Span], exclude) -> None:
    first, last = min(s.start for s in spans), max(s.end for s in spans)
    held = [Span(b.start, b.end) for b in _counted(rule, owner, exclude).filter(start__lt=last, end__gt=first)]
    for span in spans:
        # The most bookings held at once during `span`: count at each start inside it.
        others = [h for h in held + [s for s in spans if s is not span] if h.start < span.end and h.end > span.start]
        moments = [span.start, *(h.start for h in others if h.start > span.start)]
        peak = max(sum(1 for h in others if h.start <= moment < h.end) for moment in moments)
        if peak + 1 > rule.max_concurrent:
            raise Conflict(
                ngettext("Quota: at most %(n)d booking", "Quota: at most %(n)d bookings", rule.max_concurrent)
                % {"n": rule.max_concurrent}
                + f" at the same time at {_scope(rule)}; "
                f"you already hold {peak} then.",
                code="quota",
                details={"rule": rule.pk},
            )


def usage(*, user, now: datetime | None = None) -> list[dict]:
    """Every quota rule of the user's sites, with what they used in the current period."""
    now = now or timezone.now()
    rules = (
        scope_to_sites(QuotaRule.objects.all(), visible_site_ids(user), "site")
        .filter(Q(group__isnull=True) | Q(group__in=user.groups.all()))
        .select_related("site", "resource_type", "group")
    )
    found = []
    for rule in rules.order_by("site__name", "resource_type__name", "period"):
        zone = times.site_zone(rule.site)
        period = period_of(now, rule.period, zone)
        found.append(
            {
                "rule": rule,
                "scope": _scope(rule),
                "exempt": settings.QUOTA_EXEMPT_ADMINS and can_admin_site(user, rule.site_id),
                "period_start": period.start,
                "period_end": period.end,
                "used_hours": round(_used_in(rule, user, period, ()).total_seconds() / 3600, 2),
                "ahead": _counted(rule, user, ()).filter(end__gt=now).count(),
            }
        )
    return found


def summary(*, user, resource: Resource, now: datetime | None = None) -> str:
    """The quota rules that count a booking of `resource` by `user`, in words, with their usage."""
    rules = rules_for(resource, user)
    if not rules:
        return ""
    if exempt(user, resource):
        return "Quotas do not count your bookings here (site administrator)."
    now = now or timezone.now()
    zone = times.site_zone(resource.site)
    said = []
    for rule in rules:
        limits = []
        if rule.max_hours is not None:
            period = period_of(now, rule.period, zone)
            used = _used_in(rule, user, period, ())
            limits.append(f"{_hours(used)} of {_hours(timedelta(hours=float(rule.max_hours)))} used this {rule.period}")
        if rule.max_concurrent is not None:
            limits.append(f"at most {rule.max_concurrent} at once")
        if rule.max_future is not None:
            limits.append(f"at most {rule.max_future} ahead")
        said.append(f"Quota for {_scope(rule)}: {', '.join(limits)}.")
    return " ".join(said)


def top_users(rule: QuotaRule, period: Span, *, limit: int = 5) -> list[dict]:
    """Who used most of `rule` in `period` (hours), for the fair-use report."""
    rows = (
        Reservation.objects.filter(status__in=HOLDING, resource__site_id=rule.site_id)
        .filter(**({"resource__resource_type_id": rule.resource_type_id} if rule.resource_type_id else {}))
        .filter(**({"owner__groups": rule.group_id} if rule.group_id else {}))
        .filter(start__lt=period.end, end__gt=period.start)
        .values("owner__username")
        .annotate(used=Sum(Least(F("end"), period.end) - Greatest(F("start"), period.start)))
        .order_by("-used")[:limit]
    )
    return [
        {"user": row["owner__username"], "used_hours": round(row["used"].total_seconds() / 3600, 2)} for row in rows
    ]


# --- Quota rules: site administrators set them for their sites, audited like the rest ----------

FIELDS = ("site", "resource_type", "group", "period", "max_hours", "max_concurrent", "max_future")


@transaction.atomic
def quota_rule_create(*, actor, site, **values) -> QuotaRule:
    require_site_admin(actor, site.pk, "set its quotas")
    rule = QuotaRule(site=site, **{k: v for k, v in values.items() if k in FIELDS})
    validated_save(rule)
    publish("quota_rule.created", actor=actor, instance=rule, site_id=rule.site_id, after=snapshot(rule))
    return rule


@transaction.atomic
def quota_rule_update(*, actor, quota_rule: QuotaRule, **changes) -> QuotaRule:
    require_site_admin(actor, quota_rule.site_id, "set its quotas")
    before = snapshot(quota_rule)
    if apply_changes(quota_rule, changes, allowed=FIELDS):
        require_site_admin(actor, quota_rule.site_id, "set its quotas")  # and of a site it moves to
        validated_save(quota_rule)
        publish(
            "quota_rule.updated",
            actor=actor,
            instance=quota_rule,
            site_id=quota_rule.site_id,
            before=before,
            after=snapshot(quota_rule),
        )
    return quota_rule


@transaction.atomic
def quota_rule_delete(*, actor, quota_rule: QuotaRule) -> None:
    require_site_admin(actor, quota_rule.site_id, "set its quotas")
    publish(
        "quota_rule.deleted", actor=actor, instance=quota_rule, site_id=quota_rule.site_id, before=snapshot(quota_rule)
    )
    guarded_delete(quota_rule)


def quota_rules_administered(*, user) -> QuerySet:
    return scope_to_sites(QuotaRule.objects.all(), administered_site_ids(user), "site").select_related(
        "site", "resource_type"
    )
