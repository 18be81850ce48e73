"""Every read of billing that depends on who asks, and the statement of a project's month."""

from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from tenancy.access import administered_site_ids, visible_site_ids

from . import budgets
from .access import scope_projects, sees_all_charges
from .models import Adjustment, AdjustmentStatus, Budget, Charge, Project, ProjectMember, Rate
from .periods import month_bounds, period_of


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
