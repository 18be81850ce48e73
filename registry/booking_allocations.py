"""Allocations that live and die with a booking. A resource type (or one resource) names
allocation templates (BookingTemplate); each confirmed booking gets them at its start, or when it is
made, in the booking's transaction and before its event is written, so `reservation.started`
carries them. They expire with the booking, move with an extension, are made again when the booking
moves off a failed machine, and are released when it ends, is cancelled, released or rejected. A
template that cannot be applied (a range exhausted) never stops the booking: the booking records
why, its owner and the site's administrators are told, and `reservation.allocation_failed` is sent."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.db import config_cache
from common.exceptions import DomainError
from notifications.services import notify
from reservations.events import publish_booking
from resources.selectors import config_version_for
from tenancy.models import Membership, Role

from . import services
from .models import Allocation, AllocationStatus, ApplyAt, BookingTemplate

CLAIM_AT = {
    "reservation.started": ApplyAt.START,
    "reservation.created": ApplyAt.CREATED,
    "reservation.approved": ApplyAt.CREATED,
}
RELEASE_ON = {"reservation.ended", "reservation.cancelled", "reservation.released", "reservation.rejected"}
LIVE = (AllocationStatus.ACTIVE, AllocationStatus.RESERVED)


def links_for(resource, apply_at: str) -> list[BookingTemplate]:
    """The resource's own links, or else its type's. Kept on the resource instance for the
    operation (a series or a lease asks once per booking)."""
    links = resource.__dict__.get("_booking_template_links")
    if links is None:
        # All links (a short table; any change raises every site's version), kept once per site
        # version: per resource, the first booking of each resource in a process read them again.
        site_links = config_cache.cached(
            ("booking_templates", resource.site_id),
            config_version_for(resource),
            lambda: list(BookingTemplate.objects.select_related("template").order_by("pk")),
        )
        links = [
            link
            for link in site_links
            if link.resource_id == resource.pk or link.resource_type_id == resource.resource_type_id
        ]
        resource.__dict__["_booking_template_links"] = links
    own = [link for link in links if link.resource_id == resource.pk]
    return [link for link in (own or links) if link.apply_at == apply_at]


def react(action: str, booking, actor, **extra) -> None:
    booking.__dict__.pop("_holds_no_allocations", None)  # true only for the event it was set for
    if action in RELEASE_ON:
        _release(booking, actor)
    elif action == "reservation.replaced" and extra["replaced"]["previous_reservation_id"] == booking.pk:
        # The booking itself moved to another machine: what was made for the old one is given back
        # and made again for the new one. (A running booking's rest is a new booking: it claimed its own.)
        _release(booking, actor)
        claim_at = [ApplyAt.CREATED, *([ApplyAt.START] if booking.started_event_at else [])]
        links = [link for at in claim_at for link in links_for(booking.resource, at)]
        if links and booking.status == "confirmed":
            _claim(booking, links)
    elif action == "reservation.updated":
        _follow_end(booking)
    elif action in CLAIM_AT and booking.status == "confirmed" and booking.end > timezone.now():
        links = links_for(booking.resource, CLAIM_AT[action])
        if links:
            _claim(booking, links)
        elif action == "reservation.created":
            booking._holds_no_allocations = True  # just made, nothing to claim: its payload needs no query


def _variables(booking) -> dict:
    return {
        "booking_id": booking.pk,
        "owner": booking.owner.get_username(),
        "resource": booking.resource.name,
        "lease_id": booking.lease_id or "",
        "site": booking.resource.site.slug,
    }


def _claim(booking, links: list[BookingTemplate]) -> None:
    if Allocation.objects.filter(booking=booking, status__in=LIVE).exists():
        return  # claimed already (made at creation, now starting; or approved after a retry)
    problems = []
    for link in links:
        try:
            with transaction.atomic():
                # On the owner's behalf: the allocations are theirs, within a member's bounds.
                services.template_apply(
                    actor=booking.owner,
                    template=link.template,
                    site=booking.resource.site,
                    service=f"booking-{booking.pk}",
                    environment=link.environment,
                    variables=_variables(booking),
                    booking=booking,
                    expires_at=booking.end,
                )
        except (DomainError, ValidationError) as exc:
            message = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [str(exc)]))
            problems.append(f"{link.template.name}: {message}")
    if problems:
        _report(booking, " ".join(problems)[:500])


def _report(booking, problem: str) -> None:
    booking.allocation_problem = problem
    booking.save(update_fields=["allocation_problem", "updated"])
    title = f"Allocations for your booking of {booking.resource.name} could not be made"
    admins = Membership.objects.filter(site_id=booking.resource.site_id, role=Role.ADMIN).select_related("user")
    for person in {booking.owner, *(m.user for m in admins)}:
        notify(
            user=person,
            kind="reservation.allocation_failed",
            title=title,
            body=problem,
            url=f"/reservations/{booking.pk}/",
        )
    publish_booking("reservation.allocation_failed", booking, actor=None, audit_snapshot=False, problem=problem)


def _release(booking, actor) -> None:
    """A locked allocation stays: an operator locked it to keep it beyond the booking."""
    for allocation in Allocation.objects.filter(booking=booking, status__in=LIVE, is_locked=False):
        services.allocation_release(actor=None, allocation=allocation, action="released")


def _follow_end(booking) -> None:
    """Extended or shortened: its allocations expire with it."""
    moving = Allocation.objects.filter(booking=booking, status__in=LIVE, is_locked=False).exclude(
        expires_at=booking.end
    )
    for allocation in moving:
        services.allocation_update(actor=booking.owner, allocation=allocation, expires_at=booking.end)


def payload(booking) -> dict:
    fresh = getattr(booking, "_holds_no_allocations", False) or not booking.pk
    allocations = [] if fresh else Allocation.objects.filter(booking=booking).order_by("pk")
    return {
        "allocations": [services.allocation_event(a)["allocation"] for a in allocations],
        **({"allocation_problem": booking.allocation_problem} if booking.allocation_problem else {}),
    }
