"""Every write of billing: projects and their members, budgets, rates, the project a booking is
charged to, and adjustments. Pages, the API and the admin call these; charges are written only by
billing.charging when a booking finishes."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.events import publish, snapshot
from common.exceptions import Conflict, PermissionDenied
from common.services import validated_save
from reservations import hooks
from reservations.models import HOLDING
from reservations.rules import require_can_change
from tenancy.access import administered_site_ids, is_site_member

from . import budgets
from .access import administers_project, require_pi_or_admin, require_project_admin, require_site_admin_of
from .models import (
    Adjustment,
    AdjustmentStatus,
    BookingProject,
    Budget,
    Charge,
    Project,
    ProjectMember,
    ProjectStatus,
    Rate,
    SiteBilling,
)


def _site_of(project: Project) -> int | None:
    return project.sites.order_by("pk").values_list("pk", flat=True).first()


@transaction.atomic
def project_create(
    *, actor, name: str, code: str, pi, sites, starts_on: date, ends_on: date | None = None,
    price_group: str = "internal", status: str = ProjectStatus.ACTIVE,
) -> Project:  # fmt: skip
    sites = list(sites)
    if not sites:
        raise ValidationError({"sites": "Name at least one site the project may book at."})
    administered = administered_site_ids(actor) if actor is not None else None
    if administered is not None and any(site.pk not in administered for site in sites):
        raise PermissionDenied("Only an administrator of each of its sites may open a project there.")
    if not all(is_site_member(pi, site.pk) for site in sites):
        raise ValidationError({"pi": f"{pi.get_username()} is not a member of every site of the project."})
    project = Project(
        name=name, code=code, pi=pi, starts_on=starts_on, ends_on=ends_on, price_group=price_group, status=status
    )
    validated_save(project, checked=["pi"])
    project.sites.set(sites)
    ProjectMember.objects.create(project=project, user=pi)
    publish("project.created", actor=actor, instance=project, site_id=sites[0].pk, after=snapshot(project))
    return project


PROJECT_FIELDS = ("name", "status", "ends_on", "price_group")


@transaction.atomic
def project_update(*, actor, project: Project, **changes) -> Project:
    require_project_admin(actor, project, "change the project")
    project = Project.objects.select_for_update().get(pk=project.pk)
    before = snapshot(project)
    for field, value in changes.items():
        if field not in PROJECT_FIELDS:
            raise ValidationError({field: "This field cannot be changed."})
        setattr(project, field, value)
    validated_save(project, checked=["pi"])
    publish("project.updated", actor=actor, instance=project, site_id=_site_of(project), before=before,
            after=snapshot(project))  # fmt: skip
    return project


@transaction.atomic
def member_add(*, actor, project: Project, user) -> ProjectMember:
    require_pi_or_admin(actor, project, "add members")
    if not any(is_site_member(user, pk) for pk in project.sites.values_list("pk", flat=True)):
        raise ValidationError({"user": f"{user.get_username()} is not a member of any site of the project."})
    member = ProjectMember(project=project, user=user)
    validated_save(member, checked=["project", "user"])
    publish("project.member_added", actor=actor, instance=member, site_id=_site_of(project), after=snapshot(member))
    return member


@transaction.atomic
def member_remove(*, actor, member: ProjectMember) -> None:
    project = member.project
    require_pi_or_admin(actor, project, "remove members")
    if member.user_id == project.pi_id:
        raise Conflict("The PI stays a member of their project.", code="pi")
    publish("project.member_removed", actor=actor, instance=member, site_id=_site_of(project), before=snapshot(member))
    member.delete()


@transaction.atomic
def default_project_set(*, actor, project: Project) -> ProjectMember:
    """The actor's bookings are charged to `project` unless they choose another."""
    member = ProjectMember.objects.select_for_update().filter(project=project, user=actor).first()
    if member is None:
        raise PermissionDenied("You are not a member of this project.")
    ProjectMember.objects.filter(user=actor, is_default=True).exclude(pk=member.pk).update(is_default=False)
    member.is_default = True
    member.save(update_fields=["is_default"])
    return member


@transaction.atomic
def budget_save(*, actor, project: Project, resource_type, period: str, hours: Decimal) -> Budget:
    require_project_admin(actor, project, "set its budgets")
    budget = Budget.objects.select_for_update().filter(project=project, resource_type=resource_type, period=period)
    budget = budget.first() or Budget(project=project, resource_type=resource_type, period=period, hours=hours)
    before = snapshot(budget) if budget.pk else None
    budget.hours = hours
    validated_save(budget, checked=["project", "resource_type"])
    publish("project.budget_set", actor=actor, instance=budget, site_id=_site_of(project), before=before,
            after=snapshot(budget))  # fmt: skip
    return budget


RATE_FIELDS = (
    "per_hour", "minimum_hours", "rounding_minutes", "late_cancel_hours", "late_cancel_percent", "no_show_percent",
    "charge_actual_use", "booked_share_percent",
)  # fmt: skip


@transaction.atomic
def rate_save(*, actor, resource_type, price_group: str, **values) -> Rate:
    if resource_type.site_id is None:
        if actor is not None and administered_site_ids(actor) is not None:
            raise PermissionDenied("Only a global administrator prices a type shared by every site.")
    else:
        require_site_admin_of(actor, resource_type.site_id, "set its rates")
    rate = Rate.objects.select_for_update().filter(resource_type=resource_type, price_group=price_group).first()
    before = snapshot(rate) if rate else None
    rate = rate or Rate(resource_type=resource_type, price_group=price_group, per_hour=Decimal(0))
    for field, value in values.items():
        if field not in RATE_FIELDS:
            raise ValidationError({field: "Not a field of a rate."})
        setattr(rate, field, value)
    validated_save(rate, checked=["resource_type"])
    publish("billing.rate_set", actor=actor, instance=rate, site_id=resource_type.site_id, before=before,
            after=snapshot(rate))  # fmt: skip
    return rate


@transaction.atomic
def site_billing_save(*, actor, site, project_required: bool) -> SiteBilling:
    require_site_admin_of(actor, site.pk, "change its billing")
    setting, _ = SiteBilling.objects.select_for_update().get_or_create(site=site)
    before = snapshot(setting)
    setting.project_required = project_required
    setting.save()
    publish("billing.site_updated", actor=actor, instance=setting, site_id=site.pk, before=before,
            after=snapshot(setting))  # fmt: skip
    return setting


@transaction.atomic
def booking_project_set(*, actor, reservation, project: Project) -> BookingProject:
    """Charge an upcoming booking to another project of its owner (its budget is checked again)."""
    require_can_change(actor=actor, reservation=reservation)
    if reservation.status not in HOLDING or reservation.start <= timezone.now():
        raise Conflict("Only an upcoming booking can move to another project.", code="not_upcoming")
    span = hooks.Span(reservation.start, reservation.end)
    budgets.check_project(
        project, owner=reservation.owner, resource=reservation.resource, spans=[span], exclude=[reservation.pk]
    )
    held = BookingProject.objects.select_for_update().filter(reservation=reservation).first()
    before = snapshot(held) if held else None
    if held is None:
        held = BookingProject(reservation=reservation, project=project)
    held.project = project
    held.save()
    publish("reservation.project_changed", actor=actor, instance=held, site_id=reservation.resource.site_id,
            before=before, after=snapshot(held))  # fmt: skip
    return held


@transaction.atomic
def adjustment_request(*, actor, charge: Charge, hours: Decimal, amount: Decimal, reason: str) -> Adjustment:
    """A member of the charge's project asks to correct it (negative values credit)."""
    project = charge.project
    if not (ProjectMember.objects.filter(project=project, user=actor).exists() or administers_project(actor, project)):
        raise PermissionDenied("Only members of the project may ask to correct its charges.")
    if not reason.strip():
        raise ValidationError({"reason": "Say what is wrong with the charge."})
    if charge.amount + amount < 0 or charge.hours + hours < 0:
        raise ValidationError({"amount": "A correction cannot credit more than was charged."})
    adjustment = Adjustment(charge=charge, hours=hours, amount=amount, reason=reason[:500], requested_by=actor)
    validated_save(adjustment, checked=["charge", "requested_by"])
    publish("charge.adjustment_requested", actor=actor, instance=adjustment, site_id=charge.site_id,
            after=snapshot(adjustment))  # fmt: skip
    return adjustment


@transaction.atomic
def adjustment_decide(*, actor, adjustment: Adjustment, approve: bool, reason: str = "") -> Adjustment:
    adjustment = Adjustment.objects.select_for_update().select_related("charge").get(pk=adjustment.pk)
    require_site_admin_of(actor, adjustment.charge.site_id, "decide corrections")
    if adjustment.status != AdjustmentStatus.REQUESTED:
        raise Conflict(f"This correction is {adjustment.get_status_display().lower()} already.", code="decided")
    if actor is not None and actor.pk == adjustment.requested_by_id and administered_site_ids(actor) is not None:
        raise PermissionDenied("Someone else decides a correction you asked for.")
    before = snapshot(adjustment)
    adjustment.status = AdjustmentStatus.APPROVED if approve else AdjustmentStatus.REJECTED
    adjustment.decided_by, adjustment.decided_at, adjustment.decision_reason = actor, timezone.now(), reason[:500]
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    publish(f"charge.adjustment_{adjustment.status}", actor=actor, instance=adjustment,
            site_id=adjustment.charge.site_id, before=before, after=snapshot(adjustment))  # fmt: skip
    return adjustment
