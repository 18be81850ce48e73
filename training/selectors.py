"""Every read of training that depends on who asks: one selector per model, scoped by role and site."""

from django.db.models import Q, QuerySet

from tenancy.access import administered_site_ids

from .access import decided_by_q, scope_to_member_sites
from .models import Qualification, RequestStatus, Requirement, Trainer, TrainingRequest
from .rules import Standing, standing_of


def requirement_list(*, user) -> QuerySet[Requirement]:
    """Requirements of the sites the user belongs to."""
    found = Requirement.objects.select_related("resource_type", "resource", "resource_type__site")
    return scope_to_member_sites(found, user, "resource_type").order_by("resource_type__name", "resource__name", "pk")


def trainer_list(*, user) -> QuerySet[Trainer]:
    found = Trainer.objects.select_related("user", "resource_type", "resource_type__site")
    return scope_to_member_sites(found, user, "resource_type").order_by("resource_type__name", "user__username")


def qualification_list(*, user) -> QuerySet[Qualification]:
    """The user's own; and, as a trainer or site administrator, those they decide."""
    found = Qualification.objects.select_related(
        "user", "granted_by", "revoked_by", "requirement__resource_type__site", "requirement__resource"
    )
    if not getattr(user, "is_authenticated", False):
        return found.none()
    if administered_site_ids(user) is None:
        return found
    return found.filter(Q(user=user) | decided_by_q(user, "requirement__resource_type"))


def training_request_list(*, user) -> QuerySet[TrainingRequest]:
    found = TrainingRequest.objects.select_related(
        "user", "decided_by", "requirement__resource_type__site", "requirement__resource"
    )
    if not getattr(user, "is_authenticated", False):
        return found.none()
    if administered_site_ids(user) is None:
        return found
    return found.filter(Q(user=user) | decided_by_q(user, "requirement__resource_type"))


def training_queue(*, user) -> QuerySet[TrainingRequest]:
    """Open requests the user decides (not their own)."""
    mine = training_request_list(user=user).filter(status=RequestStatus.OPEN).exclude(user=user)
    if administered_site_ids(user) is not None:
        mine = mine.filter(decided_by_q(user, "requirement__resource_type"))
    return mine.order_by("created", "pk")


def my_training(*, user) -> list[tuple[Requirement, Standing, TrainingRequest | None]]:
    """Every requirement at the user's sites, with where the user stands and their open request."""
    requirements = list(requirement_list(user=user))
    held = {
        q.requirement_id: q
        for q in Qualification.objects.filter(user=user, revoked_at__isnull=True).select_related("user")
    }
    asked = {r.requirement_id: r for r in TrainingRequest.objects.filter(user=user, status=RequestStatus.OPEN)}
    return [(r, standing_of(held.get(r.pk), r), asked.get(r.pk)) for r in requirements]
