"""Which project a booking is charged to, and whether its hour budget has room: checked in every
booking write through the core's hooks, under a per-project transaction lock, so that parallel
bookings against one budget are counted one after the other and never overspend."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from common import times
from common.db import config_cache
from common.events import publish, snapshot
from common.exceptions import Conflict
from reservations import hooks
from resources.selectors import config_version_for

from .models import BookingProject, Budget, Project, ProjectMember, ProjectStatus, SiteBilling
from .periods import Period, periods_of

# The first key of the advisory lock pair: "bdgt", so it meets no other advisory lock.
_LOCK_CLASS = 0x62646774
LOW_SHARE = Decimal("0.8")


def _hours(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def projects_of(owner, site_id: int | None, *, on=None):
    """Active projects the owner belongs to that may book at the site (any site: None), on day `on`."""
    on = on or timezone.localdate()
    projects = Project.objects.filter(status=ProjectStatus.ACTIVE, members__user=owner, starts_on__lte=on)
    if site_id is not None:
        projects = projects.filter(sites=site_id)
    return projects.exclude(ends_on__lt=on).distinct().order_by("code")


def default_project(owner, site_id: int | None) -> Project | None:
    """The person's default project if it may book here (anywhere: None), else their only project
    that may. One plain statement: it runs in every booking write that chooses no project, and
    compiling the ORM's query for it cost a tenth of a create."""
    on = timezone.localdate()
    sql = _DEFAULT_HERE if site_id is not None else _DEFAULT_ANYWHERE
    params = {"user": owner.pk, "site": site_id, "active": ProjectStatus.ACTIVE, "on": on}
    found = list(Project.objects.raw(sql, params))
    if found and (found[0].member_default or len(found) == 1):
        return found[0]
    return None


_DEFAULT = f"""
    SELECT p.*, m.is_default AS member_default FROM {ProjectMember._meta.db_table} m
    JOIN {Project._meta.db_table} p ON p.id = m.project_id {{sites}}
    WHERE m.user_id = %(user)s AND p.status = %(active)s AND p.starts_on <= %(on)s
      AND (p.ends_on IS NULL OR p.ends_on >= %(on)s)
    ORDER BY m.is_default DESC, p.code LIMIT 2
"""  # noqa: S608 - table names come from the models; every value is a parameter
_DEFAULT_ANYWHERE = _DEFAULT.format(sites="")
_DEFAULT_HERE = _DEFAULT.format(
    sites=f"JOIN {Project.sites.through._meta.db_table} ps ON ps.project_id = p.id AND ps.site_id = %(site)s"
)


def project_required(resource) -> bool:
    """From memory while the site's configuration version holds (a trigger raises it)."""
    return config_cache.cached(
        ("billing_required", resource.site_id),
        config_version_for(resource),
        lambda: SiteBilling.objects.filter(site_id=resource.site_id, project_required=True).exists(),
    )


def project_for(owner, resource, exclude=()) -> Project | None:
    """The project a booking write charges: the one the booking has, else the one chosen on the
    form or in the API (`project`), else the owner's default."""
    if exclude:
        held = BookingProject.objects.filter(reservation_id__in=exclude).select_related("project").first()
        if held is not None:
            return held.project
    picked = hooks.chosen("project")
    if picked is not None:
        project = projects_of(owner, resource.site_id).filter(pk=picked).first()
        if project is None:
            raise ValidationError(
                {"project": f"No active project of {owner.get_username()} with id {picked} may book here."}
            )
        return project
    if not _any_project_books_at(resource):
        return None  # what default_project would find, without its query
    return default_project(owner, resource.site_id)


def _any_project_books_at(resource) -> bool:
    """From memory while the site's configuration version holds (a trigger on the projects' sites
    raises it): most booking writes are at sites no project books at, and paid a query to find so."""
    return config_cache.cached(
        ("billing_any_project", resource.site_id),
        config_version_for(resource),
        lambda: Project.sites.through.objects.filter(site_id=resource.site_id).exists(),
    )


def project_options(user, site) -> list[tuple[int, str]]:
    return [(p.pk, f"{p.code} · {p.name}") for p in projects_of(user, site.pk if site else None)]


def project_initial(user, site) -> int | None:
    project = default_project(user, site.pk if site else None)
    return project.pk if project else None


PROJECT_CHOICE = hooks.Choice(
    name="project",
    label="Charge to",
    help="The project that pays for it: one you are a member of (empty: your default project).",
    options=project_options,
    initial=project_initial,
)


def lock_project(project: Project) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, project.pk % 2**31])


_TAKEN = """
SELECT COALESCE(SUM(CASE WHEN c.id IS NOT NULL THEN c.hours
    ELSE EXTRACT(EPOCH FROM LEAST(r."end", %(until)s) - GREATEST(r.start, %(since)s)) / 3600 END), 0)
FROM billing_bookingproject bp
JOIN reservations_reservation r ON r.id = bp.reservation_id
JOIN resources_resource res ON res.id = r.resource_id
LEFT JOIN billing_charge c ON c.reservation_id = r.id
WHERE bp.project_id = %(project)s AND res.resource_type_id = %(type)s
  AND r.start < %(until)s AND r."end" > %(since)s
  AND (c.id IS NOT NULL OR r.status IN ('confirmed', 'pending'))
  AND NOT (r.id = ANY(%(exclude)s))
"""


def taken(project: Project, resource_type_id: int, period: Period, exclude=()) -> Decimal:
    """Hours of the type the project has used (its charges) or holds (bookings not yet charged) in the period."""
    with connection.cursor() as cursor:
        cursor.execute(
            _TAKEN,
            {
                "project": project.pk,
                "type": resource_type_id,
                "since": period.start,
                "until": period.end,
                "exclude": list(exclude),
            },
        )
        return _hours(cursor.fetchone()[0])


def _asked(spans, period: Period) -> Decimal:
    seconds = sum(max(timedelta(0), min(s.end, period.end) - max(s.start, period.start)).total_seconds() for s in spans)
    return _hours(Decimal(seconds) / 3600)


def _require_may_use(project: Project, owner, resource, spans) -> None:
    site_ids = set(project.sites.values_list("pk", flat=True))
    if project.status != ProjectStatus.ACTIVE:
        raise ValidationError({"project": f"Project {project.code} is {project.get_status_display().lower()}."})
    if resource.site_id not in site_ids:
        raise ValidationError({"project": f"Project {project.code} may not book at {resource.site.name}."})
    if not ProjectMember.objects.filter(project=project, user=owner).exists():
        raise ValidationError({"project": f"{owner.get_username()} is not a member of project {project.code}."})
    zone = times.site_zone(resource.site)
    for span in spans:
        day = span.start.astimezone(zone).date()
        if day < project.starts_on or (project.ends_on and day > project.ends_on):
            raise ValidationError({"project": f"Project {project.code} is not active on {day:%Y-%m-%d}."})


def check_project(project: Project, *, owner, resource, spans, exclude=()) -> None:
    """Raises 409 `budget_exceeded` saying what is left when `spans` would take a budget past its hours."""
    _require_may_use(project, owner, resource, spans)
    budgets = list(Budget.objects.filter(project=project, resource_type_id=resource.resource_type_id))
    if not budgets:
        return
    lock_project(project)
    zone = times.site_zone(resource.site)
    for budget in budgets:
        for period in periods_of(spans, budget.period, zone):
            asked = _asked(spans, period)
            if not asked:
                continue
            used = taken(project, resource.resource_type_id, period, exclude)
            left = max(Decimal(0), budget.hours - used)
            if asked > left:
                raise Conflict(
                    f"Project {project.code} has {left} h of {resource.resource_type.name} left for "
                    f"{period.name} ({budget.hours} h budget, {used} h used or booked); this needs {asked} h.",
                    code="budget_exceeded",
                    details={
                        "project": project.pk,
                        "budget": budget.pk,
                        "period": period.key,
                        "remaining_hours": str(left),
                        "requested_hours": str(asked),
                    },
                )


def check_booking(*, owner, resource, spans, exclude, changed) -> None:
    if changed is not None and not {"start", "end", "resource", "owner"} & changed:
        return
    project = project_for(owner, resource, exclude)
    resource.__dict__["_charged_to"] = (owner.pk, project)  # what bookings_created writes, read once
    if project is None:
        if project_required(resource):
            raise ValidationError(
                {"project": f"Bookings at {resource.site.name} are charged to a project, and you have no default one."}
            )
        return
    check_project(project, owner=owner, resource=resource, spans=spans, exclude=exclude)


def bookings_created(bookings: list, *, actor) -> None:
    """New bookings are charged to the project their check found."""
    if not bookings:
        return
    first = bookings[0]
    checked = first.resource.__dict__.pop("_charged_to", None)
    project = checked[1] if checked and checked[0] == first.owner_id else project_for(first.owner, first.resource)
    if project is None:
        return
    BookingProject.objects.bulk_create([BookingProject(reservation=b, project=project) for b in bookings])
    warn_if_low(project, first.resource, [b.start for b in bookings])


def warn_if_low(project: Project, resource, moments) -> None:
    """`project.budget_low` once per budget and period, when 80 % of it is used or booked."""
    zone = times.site_zone(resource.site)
    for budget in Budget.objects.select_for_update().filter(
        project=project, resource_type_id=resource.resource_type_id
    ):
        for period in {periods_of([_Span(m)], budget.period, zone)[0] for m in moments}:
            if period.key in budget.low_warned or not budget.hours:
                continue
            used = taken(project, resource.resource_type_id, period)
            if used < budget.hours * LOW_SHARE:
                continue
            before = snapshot(budget)
            budget.low_warned = [*budget.low_warned, period.key]
            budget.save(update_fields=["low_warned"])
            publish(
                "project.budget_low",
                actor=None,
                instance=budget,
                site_id=resource.site_id,
                before=before,
                after=snapshot(budget),
                event_data={
                    "project": {"id": project.pk, "code": project.code, "name": project.name},
                    "resource_type": resource.resource_type_id,
                    "period": period.key,
                    "budget_hours": str(budget.hours),
                    "used_hours": str(used),
                },
                resource=resource,
            )


class _Span:
    def __init__(self, moment):
        self.start = moment
        self.end = moment + timedelta(seconds=1)
