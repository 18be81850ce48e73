"""Every read of billing that depends on who asks, and the statement of a project's month."""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from tenancy.access import administered_site_ids, visible_site_ids

from . import budgets
from .access import scope_projects, sees_all_charges
from .models import Adjustment, AdjustmentStatus, Budget, Charge, Project, ProjectMember, Rate
from .periods import month_bounds, month_span, period_of


def project_list(*, user) -> QuerySet[Project]:
    return scope_projects(Project.objects.select_related("pi"), user).order_by("code")


def member_list(*, user) -> QuerySet[ProjectMember]:
    return scope_projects(ProjectMember.objects.select_related("project", "user"), user, "project__")


def budget_list(*, user) -> QuerySet[Budget]:
    return scope_projects(Budget.objects.select_related("project", "resource_type"), user, "project__")


def rate_list(*, user) -> QuerySet[Rate]:
    found = Rate.objects.select_related("resource_type", "resource_type__site")
    sites = administered_site_ids(user)
    if sites is None:
        return found
    return found.filter(Q(resource_type__site__isnull=True) | Q(resource_type__site_id__in=visible_site_ids(user)))


def charge_list(*, user) -> QuerySet[Charge]:
    """All charges of the projects one leads or whose sites one administers; one's own elsewhere."""
    found = Charge.objects.select_related("project", "owner", "resource_type", "site")
    if not getattr(user, "is_authenticated", False):
        return found.none()
    sites = administered_site_ids(user)
    if sites is None:
        return found
    led = Project.objects.filter(Q(pi=user) | Q(sites__in=sites)).values("pk")
    return found.filter(Q(project__in=led) | Q(owner=user))


def adjustment_list(*, user) -> QuerySet[Adjustment]:
    return Adjustment.objects.filter(charge__in=charge_list(user=user)).select_related("charge", "requested_by")


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass
class BudgetState:
    budget: Budget
    period: str
    used: Decimal  # charged
    committed: Decimal  # booked, not yet charged
    remaining: Decimal


def budget_states(project: Project) -> list[BudgetState]:
    """Each budget of the project in its current period: used, committed and remaining hours."""
    states = []
    now = timezone.now()
    for budget in project.budgets.select_related("resource_type").order_by("resource_type__name", "period"):
        period = period_of(now, budget.period, zone())
        taken = budgets.taken(project, budget.resource_type_id, period)
        used = Charge.objects.filter(
            project=project, resource_type=budget.resource_type, start__lt=period.end, end__gt=period.start
        ).aggregate(total=Sum("hours"))["total"] or Decimal(0)
        states.append(BudgetState(budget, period.name, used, taken - used, max(Decimal(0), budget.hours - taken)))
    return states


CHARGE_LINE = ("id", "reservation_id", "resource_name", "owner__username", "start", "end", "hours", "rule",
               "per_hour", "amount", "detail")  # fmt: skip
ADJUSTMENT_LINE = ("id", "charge_id", "charge__resource_name", "charge__owner__username", "decided_at", "hours",
                   "amount", "reason")  # fmt: skip


@dataclass
class Statement:
    """A project's month: its lines as plain rows (a statement of 10,000 charges is read in one
    query of values, not 10,000 model objects)."""

    project: Project
    year: int
    month: int
    charges: list[dict] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.project.code} · {self.year}-{self.month:02d}"

    @property
    def charged(self) -> Decimal:
        return sum((c["amount"] for c in self.charges), Decimal("0.00"))

    @property
    def charged_hours(self) -> Decimal:
        return sum((c["hours"] for c in self.charges), Decimal("0.00"))

    @property
    def adjusted(self) -> Decimal:
        return sum((a["amount"] for a in self.adjustments), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.charged + self.adjusted


def statement(*, user, project: Project, year: int, month: int) -> Statement:
    """Charges that started in the month, and corrections approved in it (a member who is not the
    PI sees their own lines only)."""
    bounds = month_bounds(year, month, zone())
    charges = Charge.objects.filter(project=project, start__gte=bounds.start, start__lt=bounds.end)
    adjustments = Adjustment.objects.filter(
        charge__project=project,
        status=AdjustmentStatus.APPROVED,
        decided_at__gte=bounds.start,
        decided_at__lt=bounds.end,
    )
    if not sees_all_charges(user, project):
        charges, adjustments = charges.filter(owner=user), adjustments.filter(charge__owner=user)
    return Statement(
        project,
        year,
        month,
        list(charges.order_by("start", "pk").values(*CHARGE_LINE)),
        list(adjustments.order_by("decided_at", "pk").values(*ADJUSTMENT_LINE)),
    )


@dataclass
class Usage:
    """Hours and money per project and resource type over a span of months, and per PI: what funder
    reports ask for. Built from the charges and approved corrections the person may see."""

    first: str  # YYYY-MM
    last: str
    rows: list[dict] = field(default_factory=list)  # per project and type
    adjustments: dict[int, dict] = field(default_factory=dict)  # per project: hours_sum, amount_sum

    @cached_property
    def by_project(self) -> list[dict]:
        found: dict[int, dict] = {}

        def of(row) -> dict:
            return found.setdefault(
                row["project_id"],
                {key: row[key] for key in ("project_id", "code", "name", "pi", "group")}
                | {"bookings": 0, "hours": Decimal("0.00"), "charged": Decimal("0.00"), "adjusted": Decimal("0.00")},
            )

        for row in self.rows:
            project = of(row)
            project["bookings"] += row["bookings"]
            project["hours"] += row["hours_sum"]
            project["charged"] += row["amount_sum"]
        for corrected in self.adjustments.values():
            project = of(corrected)
            project["hours"] += corrected["hours_sum"]
            project["adjusted"] += corrected["amount_sum"]
        for project in found.values():
            project["total"] = project["charged"] + project["adjusted"]
        return sorted(found.values(), key=lambda p: p["code"])

    @cached_property
    def by_pi(self) -> list[dict]:
        found: dict[str, dict] = {}
        for project in self.by_project:
            pi = found.setdefault(
                project["pi"], {"pi": project["pi"], "projects": 0, "bookings": 0, "hours": 0, "total": 0}
            )
            pi["projects"] += 1
            for key in ("bookings", "hours", "total"):
                pi[key] += project[key]
        return sorted(found.values(), key=lambda p: p["pi"])


def usage(*, user, first: str, last: str, site_id=None, resource_type_id=None, project_id=None) -> Usage:
    """Charges that started from the first month to the last (YYYY-MM, inclusive), corrections
    decided in them; grouped in the database (a year of a large facility is one query per kind)."""
    since, until = month_span(first, last)
    start, end = month_bounds(*since, zone()).start, month_bounds(*until, zone()).end
    charges = charge_list(user=user).filter(start__gte=start, start__lt=end)
    adjustments = adjustment_list(user=user).filter(
        status=AdjustmentStatus.APPROVED, decided_at__gte=start, decided_at__lt=end
    )
    for name, value in (("site_id", site_id), ("resource_type_id", resource_type_id), ("project_id", project_id)):
        if value is not None:
            charges = charges.filter(**{name: value})
            adjustments = adjustments.filter(**{f"charge__{name}": value})
    rows = (
        charges.values(
            "project_id", code=F("project__code"), name=F("project__name"), pi=F("project__pi__username"),
            group=F("project__price_group"), resource_type_name=F("resource_type__name"),
        )
        .annotate(bookings=Count("pk"), hours_sum=Sum("hours"), amount_sum=Sum("amount"))
        .order_by("code", "resource_type_name")
    )  # fmt: skip
    corrected = adjustments.values(
        project_id=F("charge__project_id"), code=F("charge__project__code"), name=F("charge__project__name"),
        pi=F("charge__project__pi__username"), group=F("charge__project__price_group"),
    ).annotate(hours_sum=Sum("hours"), amount_sum=Sum("amount"))  # fmt: skip
    return Usage(
        first,
        last,
        list(rows),
        {row["project_id"]: row for row in corrected.order_by()},
    )
