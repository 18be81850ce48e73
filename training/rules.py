"""The one home of "is this person trained for this resource": what a booking needs, whether a
qualification stands on a given day, and what the catalogue offers instead of Book. Every booking
surface reaches these through the booking core's hooks (reservations/hooks.py)."""

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Max, Q
from django.utils import timezone

from common import names, times
from common.db import config_cache
from common.exceptions import PermissionDenied
from reservations import hooks
from reservations.models import HOLDING, Reservation
from resources.selectors import config_version_for
from tenancy.access import can_admin_site

from .models import Qualification, Requirement, Trainer


def _site_training(site_id: int, version: int) -> tuple[list[Requirement], dict[int, set[int]]]:
    """The site's requirements and {trainer's user id: type ids}, from memory while the site's
    configuration version holds (triggers raise it when either changes)."""

    def load():
        requirements = list(
            Requirement.objects.filter(resource_type__site_id=site_id)
            .select_related("resource_type", "resource")
            .order_by("pk")
        )
        trainers: dict[int, set[int]] = {}
        for user_id, type_id in Trainer.objects.filter(resource_type__site_id=site_id).values_list(
            "user_id", "resource_type_id"
        ):
            trainers.setdefault(user_id, set()).add(type_id)
        return requirements, trainers

    return config_cache.cached(("training", site_id), version, load)


def requirements_for(resource) -> list[Requirement]:
    """The requirements a booking of `resource` must meet: its type's, and its own."""
    requirements, _ = _site_training(resource.site_id, config_version_for(resource))
    return [
        r
        for r in requirements
        if r.resource_id == resource.pk or (r.resource_id is None and r.resource_type_id == resource.resource_type_id)
    ]


def trains(user, resource) -> bool:
    _, trainers = _site_training(resource.site_id, config_version_for(resource))
    return resource.resource_type_id in trainers.get(user.pk, ())


def exempt(user, resource) -> bool:
    """The site's administrators run its instruments: they need no grant (trainers neither, for their types)."""
    return can_admin_site(user, resource.site_id)


def last_use(user, requirement: Requirement) -> datetime | None:
    """The start of the person's latest booking that counts as using what the requirement covers."""
    bookings = Reservation.objects.filter(owner=user, status__in=HOLDING, start__lte=timezone.now())
    if requirement.resource_id:
        bookings = bookings.filter(resource_id=requirement.resource_id)
    else:
        bookings = bookings.filter(resource__resource_type_id=requirement.resource_type_id)
    return bookings.aggregate(last=Max("start"))["last"]


@dataclass(frozen=True)
class Standing:
    """A qualification as it stands: valid, or why not."""

    qualification: Qualification | None
    valid: bool
    reason: str  # "" when valid
    lapses_on: date | None = None


def standing_of(qualification: Qualification | None, requirement: Requirement, *, on: date | None = None) -> Standing:
    """Whether `qualification` lets its holder book what `requirement` covers on day `on` (today)."""
    today = timezone.localdate()
    on = on or today
    if qualification is None or qualification.revoked_at is not None:
        return Standing(qualification, False, "not_held")
    if qualification.expires_on is not None and qualification.expires_on < on:
        return Standing(qualification, False, "expired")
    lapses_on = None
    if requirement.lapse_months:
        used = last_use(qualification.user, requirement)
        since = max(filter(None, [used, qualification.granted_at]))
        lapses_on = (since + relativedelta(months=requirement.lapse_months)).date()
        if lapses_on < today:
            return Standing(qualification, False, "lapsed", lapses_on)
    return Standing(qualification, True, "", lapses_on)


def _standing_qualifications(user, requirements: list[Requirement], *, lock: bool = False) -> dict[int, Qualification]:
    """The person's unrevoked qualifications for `requirements`. With `lock` (inside a booking
    write), FOR SHARE: a revocation (FOR UPDATE) waits for the booking to commit and then sees it
    among the upcoming bookings it cancels, or the booking waits and sees it revoked. Bookings do
    not wait for each other."""
    ids = [r.pk for r in requirements]
    if lock:
        found = Qualification.objects.raw(
            "SELECT * FROM training_qualification WHERE user_id = %s AND requirement_id = ANY(%s)"
            " AND revoked_at IS NULL FOR SHARE",
            [user.pk, ids],
        )
    else:
        found = Qualification.objects.filter(user=user, requirement__in=ids, revoked_at__isnull=True)
    held = {}
    for qualification in found:
        qualification.user = user
        held[qualification.requirement_id] = qualification
    return held


def _refusal(owner, requirement: Requirement, standing: Standing, resource) -> PermissionDenied:
    subject, who = requirement.subject, names.person(owner)
    if standing.reason == "expired":
        why = f"{who}'s qualification for {subject} expired on {standing.qualification.expires_on:%Y-%m-%d}"
    elif standing.reason == "lapsed":
        why = (
            f"{who}'s qualification for {subject} lapsed on {standing.lapses_on:%Y-%m-%d}"
            f" (not booked for {requirement.lapse_months} months)"
        )
    else:
        why = f"{who} is not trained for {subject}"
    return PermissionDenied(
        f"{resource.name} needs training: {why}. Ask for it on the Training page.",
        code="not_qualified",
        details={"requirement": requirement.pk, "training": f"/training/?requirement={requirement.pk}"},
    )


def missing(owner, resource, days: list[date] | None = None) -> tuple[Requirement, Standing] | None:
    """The first requirement of `resource` that `owner` does not meet today or on one of `days`."""
    requirements = requirements_for(resource)
    if not requirements or exempt(owner, resource) or trains(owner, resource):
        return None
    held = _standing_qualifications(owner, requirements, lock=True)
    for requirement in requirements:
        for day in days or [None]:
            standing = standing_of(held.get(requirement.pk), requirement, on=day)
            if not standing.valid:
                return requirement, standing
    return None


def admit_booking(*, owner, resource) -> None:
    """Raises 403 `not_qualified` when `owner` lacks (today) a qualification `resource` needs."""
    found = missing(owner, resource)
    if found:
        raise _refusal(owner, *found, resource)


def check_booking(*, owner, resource, spans, exclude, changed) -> None:
    """Each booked day must fall before the qualification's expiry date."""
    if changed is not None and not {"start", "resource", "owner"} & changed:
        return
    zone = times.site_zone(resource.site)
    found = missing(owner, resource, sorted({span.start.astimezone(zone).date() for span in spans}))
    if found:
        raise _refusal(owner, *found, resource)


def offers(user, resources) -> dict[int, hooks.Offer]:
    """Resources `user` may not book yet, each with the way to the training it needs."""
    resources = list(resources)
    if not resources or not getattr(user, "is_authenticated", False):
        return {}
    type_ids = {r.resource_type_id for r in resources}
    ids = {r.pk for r in resources}
    requirements = list(
        Requirement.objects.filter(
            Q(resource_type_id__in=type_ids, resource__isnull=True) | Q(resource_id__in=ids)
        ).select_related("resource_type", "resource")
    )
    if not requirements:
        return {}
    trained_types = set(Trainer.objects.filter(user=user).values_list("resource_type_id", flat=True))
    held = _standing_qualifications(user, requirements)
    unmet = {
        r.pk: r
        for r in requirements
        if r.resource_type_id not in trained_types and not standing_of(held.get(r.pk), r).valid
    }
    found = {}
    for resource in resources:
        if exempt(user, resource):
            continue
        for requirement in unmet.values():
            if requirement.resource_id == resource.pk or (
                requirement.resource_id is None and requirement.resource_type_id == resource.resource_type_id
            ):
                found[resource.pk] = hooks.Offer(
                    note="Training required",
                    action="Request training",
                    url=f"/training/?requirement={requirement.pk}",
                )
                break
    return found
