"""Every write of training: requirements, trainers, qualifications (grant, revoke) and training
requests (ask, withdraw, grant, decline). Pages, the API, the admin and the beat call these."""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common import names
from common.events import Severity, publish, snapshot
from common.exceptions import Conflict, PermissionDenied
from common.services import guarded_delete, validated_save
from notifications.services import notify
from reservations.models import HOLDING, Reservation
from reservations.services import reservation_cancel
from tenancy.access import is_site_member, require_site_admin, require_site_member, site_administrators

from .access import require_may_train
from .models import Qualification, RequestStatus, Requirement, Trainer, TrainingRequest
from .rules import standing_of

EXPIRY_WARNING = timedelta(days=14)


def _site_id(requirement: Requirement) -> int:
    return requirement.resource_type.site_id


def _event(requirement: Requirement, **data) -> dict:
    return {
        "requirement": {
            "id": requirement.pk,
            "resource_type": requirement.resource_type_id,
            "resource": requirement.resource_id,
            "subject": requirement.subject,
        },
        **data,
    }


def _clean_subject(resource_type, resource) -> None:
    if resource_type.site_id is None:
        raise ValidationError(
            {"resource_type": "Training is kept per site: choose a type of one site, not one shared by every site."}
        )
    if resource is not None and resource.resource_type_id != resource_type.pk:
        raise ValidationError({"resource": f"{resource.name} is not a {resource_type.name}."})


@transaction.atomic
def requirement_save(
    *, actor, resource_type, resource=None, lapse_months: int | None = None, description: str = "", requirement=None
) -> Requirement:
    """Creates (or, given `requirement`, changes the lapse and description of) a training requirement."""
    _clean_subject(resource_type, resource)
    require_site_admin(actor, resource_type.site_id, "require training for its types")
    before = snapshot(requirement) if requirement else None
    if requirement is None:
        requirement = Requirement(resource_type=resource_type, resource=resource)
    requirement.lapse_months, requirement.description = lapse_months, description
    validated_save(requirement, checked=["resource_type", "resource"])  # a second one is a 409 from the database
    publish(
        "training.requirement_updated" if before else "training.requirement_created",
        actor=actor,
        instance=requirement,
        site_id=_site_id(requirement),
        before=before,
        after=snapshot(requirement),
    )
    return requirement


@transaction.atomic
def requirement_delete(*, actor, requirement: Requirement) -> None:
    require_site_admin(actor, _site_id(requirement), "drop its training requirements")
    before = snapshot(requirement)
    publish(
        "training.requirement_deleted", actor=actor, instance=requirement, site_id=_site_id(requirement), before=before
    )
    guarded_delete(requirement)


@transaction.atomic
def trainer_add(*, actor, user, resource_type) -> Trainer:
    _clean_subject(resource_type, None)
    require_site_admin(actor, resource_type.site_id, "name trainers")
    if not is_site_member(user, resource_type.site_id):
        raise ValidationError({"user": f"{user.get_username()} is not a member of {resource_type.site.name}."})
    trainer = Trainer(user=user, resource_type=resource_type, named_by=actor)
    validated_save(trainer, checked=["user", "resource_type", "named_by"])
    publish(
        "training.trainer_named", actor=actor, instance=trainer, site_id=resource_type.site_id, after=snapshot(trainer)
    )
    notify(
        user=user,
        kind="training.trainer_named",
        title=f"You train people for {resource_type.name}",
        body="You can grant qualifications and decide training requests.",
        url="/training/queue/",
    )
    return trainer


@transaction.atomic
def trainer_remove(*, actor, trainer: Trainer) -> None:
    require_site_admin(actor, trainer.resource_type.site_id, "remove trainers")
    publish(
        "training.trainer_removed",
        actor=actor,
        instance=trainer,
        site_id=trainer.resource_type.site_id,
        before=snapshot(trainer),
    )
    trainer.delete()


def _standing_locked(user, requirement: Requirement) -> Qualification | None:
    return (
        Qualification.objects.select_for_update()
        .filter(user=user, requirement=requirement, revoked_at__isnull=True)
        .first()
    )


@transaction.atomic
def qualification_grant(
    *, actor, user, requirement: Requirement, expires_on: date | None = None, note: str = ""
) -> Qualification:
    """Grants the qualification; one already standing is renewed (new grant date and expiry).
    An open request of the person for it is granted with it."""
    require_may_train(actor, requirement.resource_type, "grant this qualification")
    require_site_member(actor, _site_id(requirement))
    if not is_site_member(user, _site_id(requirement)):
        raise ValidationError(
            {"user": f"{user.get_username()} is not a member of {requirement.resource_type.site.name}."}
        )
    if expires_on is not None and expires_on < timezone.localdate():
        raise ValidationError({"expires_on": "The expiry date is in the past."})
    qualification = _standing_locked(user, requirement)
    before = snapshot(qualification) if qualification else None
    if qualification is None:
        qualification = Qualification(user=user, requirement=requirement)
    qualification.granted_by, qualification.granted_at = actor, timezone.now()
    qualification.expires_on, qualification.note, qualification.warned_at = expires_on, note[:500], None
    validated_save(qualification, checked=["user", "requirement", "granted_by"])
    until = f" until {expires_on:%Y-%m-%d}" if expires_on else ""
    publish(
        "qualification.granted",
        actor=actor,
        instance=qualification,
        site_id=_site_id(requirement),
        before=before,
        after=snapshot(qualification),
        event_data=_event(requirement, user=user.get_username(), expires_on=expires_on and expires_on.isoformat()),
        resource=requirement.resource,
    )
    for request in TrainingRequest.objects.select_for_update().filter(
        user=user, requirement=requirement, status=RequestStatus.OPEN
    ):
        _decide(request, actor=actor, status=RequestStatus.GRANTED, reason=note)
    notify(
        user=user,
        kind="qualification.granted",
        title=f"You may book {requirement.subject}",
        body=f"{names.person(actor) if actor else 'Reservoir'} granted your qualification{until}.",
        url="/training/",
    )
    return qualification


def upcoming_bookings(qualification: Qualification):
    requirement = qualification.requirement
    bookings = Reservation.objects.filter(owner=qualification.user, status__in=HOLDING, start__gt=timezone.now())
    if requirement.resource_id:
        return bookings.filter(resource_id=requirement.resource_id)
    return bookings.filter(resource__resource_type_id=requirement.resource_type_id)


@transaction.atomic
def qualification_revoke(
    *, actor, qualification: Qualification, reason: str = "", cancel_upcoming: bool = False
) -> tuple[Qualification, str]:
    """Revokes it (the row stays). The holder's upcoming bookings are left alone unless
    `cancel_upcoming`; the answer says which it was, in words."""
    requirement = qualification.requirement
    require_may_train(actor, requirement.resource_type, "revoke this qualification")
    qualification = Qualification.objects.select_for_update().get(pk=qualification.pk)
    if qualification.revoked_at is not None:
        raise Conflict("This qualification is revoked already.", code="revoked")
    before = snapshot(qualification)
    qualification.revoked_at, qualification.revoked_by = timezone.now(), actor
    qualification.revoke_reason = reason[:500]
    qualification.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    upcoming = list(upcoming_bookings(qualification).select_related("resource").order_by("start"))
    if cancel_upcoming:
        for booking in upcoming:
            reservation_cancel(
                actor=None,
                reservation=booking,
                reason=f"Qualification for {requirement.subject} revoked. {reason}".strip(),
            )
        outcome = f"{len(upcoming)} upcoming booking(s) cancelled." if upcoming else "No upcoming bookings."
    else:
        outcome = f"{len(upcoming)} upcoming booking(s) left as they are." if upcoming else "No upcoming bookings."
    publish(
        "qualification.revoked",
        actor=actor,
        instance=qualification,
        site_id=_site_id(requirement),
        before=before,
        after=snapshot(qualification),
        severity=Severity.WARNING,
        message=outcome,
        event_data=_event(
            requirement,
            user=qualification.user.get_username(),
            reason=reason,
            upcoming_cancelled=len(upcoming) if cancel_upcoming else 0,
        ),
        resource=requirement.resource,
    )
    notify(
        user=qualification.user,
        kind="qualification.revoked",
        title=f"Your qualification for {requirement.subject} was revoked",
        body=f"{reason} {outcome}".strip(),
        url="/training/",
    )
    return qualification, outcome


def deciders(requirement: Requirement):
    """Who decides a request: the type's trainers, the site's administrators."""
    trainers = Trainer.objects.filter(resource_type_id=requirement.resource_type_id).values("user_id")
    return site_administrators(_site_id(requirement)) | get_user_model().objects.filter(pk__in=trainers, is_active=True)


@transaction.atomic
def training_request_create(*, actor, requirement: Requirement, message: str = "") -> TrainingRequest:
    """The person asks to be trained; the type's trainers and the site's administrators are told."""
    require_site_member(actor, _site_id(requirement), "This training is at a site you are not a member of.")
    held = Qualification.objects.filter(user=actor, requirement=requirement, revoked_at__isnull=True).first()
    if held is not None and standing_of(held, requirement).valid:
        raise Conflict(f"You are already qualified for {requirement.subject}.", code="qualified")
    request = TrainingRequest(user=actor, requirement=requirement, message=message[:1000])
    validated_save(request, checked=["user", "requirement"])  # asked twice at once: one stands, a 409
    publish(
        "training.requested",
        actor=actor,
        instance=request,
        site_id=_site_id(requirement),
        after=snapshot(request),
        event_data=_event(requirement, user=actor.get_username(), message=request.message),
        resource=requirement.resource,
    )
    for decider in deciders(requirement).distinct():
        notify(
            user=decider,
            kind="training.requested",
            title=f"{names.person(actor)} asks for training on {requirement.subject}",
            body=request.message,
            url="/training/queue/",
        )
    return request


def _locked_open(request: TrainingRequest, verb: str) -> TrainingRequest:
    request = (
        TrainingRequest.objects.select_for_update().select_related("requirement__resource_type").get(pk=request.pk)
    )
    if request.status != RequestStatus.OPEN:
        raise Conflict(
            f"This request is {request.get_status_display().lower()}; only an open one can be {verb}.", code="decided"
        )
    return request


@transaction.atomic
def training_request_withdraw(*, actor, request: TrainingRequest) -> TrainingRequest:
    if actor is None or actor.pk != request.user_id:
        raise PermissionDenied("Only the person who asked may withdraw a training request.")
    return _decide(_locked_open(request, "withdrawn"), actor=actor, status=RequestStatus.WITHDRAWN, reason="")


@transaction.atomic
def training_request_grant(
    *, actor, request: TrainingRequest, expires_on: date | None = None, note: str = ""
) -> Qualification:
    """Grants the qualification asked for (which closes the request as granted)."""
    require_may_train(actor, request.requirement.resource_type, "grant training requests")
    request = _locked_open(request, "granted")
    return qualification_grant(
        actor=actor, user=request.user, requirement=request.requirement, expires_on=expires_on, note=note
    )


@transaction.atomic
def training_request_decline(*, actor, request: TrainingRequest, reason: str) -> TrainingRequest:
    require_may_train(actor, request.requirement.resource_type, "decline training requests")
    if not reason.strip():
        raise ValidationError({"reason": "Say why, so that the person knows what to do next."})
    request = _locked_open(request, "declined")
    _decide(request, actor=actor, status=RequestStatus.DECLINED, reason=reason)
    notify(
        user=request.user,
        kind="training.declined",
        title=f"Your training request for {request.requirement.subject} was declined",
        body=f"Reason: {request.reason}",
        url="/training/",
    )
    return request


def warn_expiring(*, today: date | None = None, limit: int = 500) -> int:
    """Tells holders whose qualification expires within EXPIRY_WARNING (once per grant), and sends
    `qualification.expiring`; each in its own transaction, skipping rows another run holds."""
    today = today or timezone.localdate()
    due = Qualification.objects.filter(
        revoked_at__isnull=True, warned_at__isnull=True, expires_on__gte=today, expires_on__lte=today + EXPIRY_WARNING
    )
    warned = 0
    for _ in range(limit):
        with transaction.atomic():
            qualification = (
                due.select_for_update(skip_locked=True, of=("self",))
                .select_related("user", "requirement__resource_type", "requirement__resource")
                .order_by("expires_on", "pk")
                .first()
            )
            if qualification is None:
                break
            _warn(qualification, today)
            warned += 1
    return warned


def warn_lapsing(*, today: date | None = None) -> int:
    """Tells holders whose qualification lapses unused within EXPIRY_WARNING, once per lapse date
    (a booking in between moves the date on, and a later one is warned again)."""
    today = today or timezone.localdate()
    warned = 0
    standing = Qualification.objects.filter(revoked_at__isnull=True, requirement__lapse_months__isnull=False)
    for qualification in standing.select_related("user", "requirement__resource_type", "requirement__resource"):
        lapses_on = standing_of(qualification, qualification.requirement).lapses_on
        if lapses_on is None or not today <= lapses_on <= today + EXPIRY_WARNING:
            continue
        if qualification.lapse_warned_on == lapses_on:
            continue
        with transaction.atomic():
            locked = Qualification.objects.select_for_update(skip_locked=True).filter(pk=qualification.pk).first()
            if locked is None or locked.lapse_warned_on == lapses_on:
                continue
            qualification.lapse_warned_on = lapses_on
            qualification.save(update_fields=["lapse_warned_on"])
            _warn(qualification, today, ends_on=lapses_on, why="lapses unused")
            warned += 1
    return warned


def _warn(qualification: Qualification, today: date, *, ends_on: date | None = None, why: str = "expires") -> None:
    requirement = qualification.requirement
    ends_on = ends_on or qualification.expires_on
    before = snapshot(qualification)
    if why == "expires":
        qualification.warned_at = timezone.now()
        qualification.save(update_fields=["warned_at"])
    days = (ends_on - today).days
    publish(
        "qualification.expiring",
        actor=None,
        instance=qualification,
        site_id=_site_id(requirement),
        before=before,
        after=snapshot(qualification),
        event_data=_event(
            requirement,
            user=qualification.user.get_username(),
            expires_on=ends_on.isoformat(),
            days_left=days,
            reason="lapse" if why != "expires" else "date",
        ),
        resource=requirement.resource,
    )
    advice = "Book it before then to keep it." if why != "expires" else "Ask a trainer to renew it before then."
    notify(
        user=qualification.user,
        kind="qualification.expiring",
        title=f"Your qualification for {requirement.subject} {why} on {ends_on:%Y-%m-%d}",
        body=f"In {days} day(s). {advice}",
        url="/training/",
    )


def _decide(request: TrainingRequest, *, actor, status: str, reason: str) -> TrainingRequest:
    before = snapshot(request)
    request.status, request.decided_at, request.decided_by = status, timezone.now(), actor
    request.reason = reason[:500]
    request.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    publish(
        f"training.request_{status}",
        actor=actor,
        instance=request,
        site_id=_site_id(request.requirement),
        before=before,
        after=snapshot(request),
    )
    return request
