"""Writes of booking templates (which allocation templates a resource type or a resource's
bookings get): administrators of the site it belongs to; types shared by all sites, global
administrators. Audited like the rest."""

from django.db import transaction

from common.events import publish, snapshot
from common.services import apply_changes, guarded_delete, validated_save
from tenancy.access import require_global_admin, require_site_admin

from .models import BookingTemplate

FIELDS = ("template", "resource_type", "resource", "environment", "apply_at")


def _site_id(link: BookingTemplate) -> int | None:
    if link.resource_id:
        return link.resource.site_id
    return link.resource_type.site_id if link.resource_type_id else None


def _require_admin(actor, link: BookingTemplate) -> None:
    site_id = _site_id(link)
    if site_id is None:
        require_global_admin(actor, "link templates to resource types shared by all sites")
    else:
        require_site_admin(actor, site_id, "link allocation templates to its bookings")


@transaction.atomic
def booking_template_create(*, actor, **values) -> BookingTemplate:
    link = BookingTemplate(**{k: v for k, v in values.items() if k in FIELDS})
    _require_admin(actor, link)
    validated_save(link)
    publish("booking_template.created", actor=actor, instance=link, site_id=_site_id(link), after=snapshot(link))
    return link


@transaction.atomic
def booking_template_update(*, actor, booking_template: BookingTemplate, **changes) -> BookingTemplate:
    _require_admin(actor, booking_template)
    before = snapshot(booking_template)
    if apply_changes(booking_template, changes, allowed=FIELDS):
        _require_admin(actor, booking_template)  # and of what it now points at
        validated_save(booking_template)
        publish(
            "booking_template.updated",
            actor=actor,
            instance=booking_template,
            site_id=_site_id(booking_template),
            before=before,
            after=snapshot(booking_template),
        )
    return booking_template


@transaction.atomic
def booking_template_delete(*, actor, booking_template: BookingTemplate) -> None:
    _require_admin(actor, booking_template)
    publish(
        "booking_template.deleted",
        actor=actor,
        instance=booking_template,
        site_id=_site_id(booking_template),
        before=snapshot(booking_template),
    )
    guarded_delete(booking_template)
