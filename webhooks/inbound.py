"""Receivers talking back: progress notes for a booking's owner, provisioning results, and a
monitoring system's word that a resource failed (or is back)."""

from django.core.exceptions import ValidationError

from notifications.services import notify
from reservations.models import Reservation
from resources import services as resources
from resources.models import Resource, ResourceStatus

from .models import Delivery, InboundCallback, Webhook


def handle_callback(*, webhook: Webhook, message_id: str, payload: dict) -> dict:
    InboundCallback.objects.create(webhook=webhook, message_id=message_id, body=payload)
    kind = payload.get("type") if isinstance(payload, dict) else None
    if kind == "progress":
        booking = (
            Reservation.objects.select_related("resource", "owner")
            .filter(pk=payload.get("reservation"), resource__site_id=webhook.site_id)
            .first()
        )
        if booking is None:
            raise ValidationError({"reservation": "No booking with this id at this webhook's site."})
        note = str(payload.get("note", ""))[:2000]
        notify(
            user=booking.owner,
            kind="reservation.progress",
            title=f"{webhook.name}: {note[:150]}" if note else f"{webhook.name} reported progress",
            body=note,
            url=f"/reservations/{booking.pk}/",
        )
        return {"accepted": "progress"}
    if kind == "provisioning_result":
        delivery = Delivery.objects.filter(webhook=webhook, event_id=payload.get("event_id")).first()
        if delivery is None:
            raise ValidationError({"event_id": "No delivery of this event to this webhook."})
        delivery.provisioning_result = payload.get("result")
        delivery.save(update_fields=["provisioning_result"])
        return {"accepted": "provisioning_result"}
    if kind == "resource_status":
        return _resource_status(webhook, payload)
    raise ValidationError({"type": "Use 'progress', 'provisioning_result' or 'resource_status'."})


def _resource_status(webhook: Webhook, payload: dict) -> dict:
    """{"type": "resource_status", "resource": id or name, "status": "unavailable"}: the resource, of
    the webhook's site, changes status as if its administrator had set it (bookings on it are
    replaced where they can be), by the system on the signed word of the webhook's receiver."""
    wanted = payload.get("status")
    if wanted not in ResourceStatus.values:
        raise ValidationError({"status": f"Use one of: {', '.join(ResourceStatus.values)}."})
    named = payload.get("resource")
    found = Resource.objects.select_related("site", "resource_type").filter(site_id=webhook.site_id)
    if isinstance(named, int) and not isinstance(named, bool):
        resource = found.filter(pk=named).first()
    else:
        resource = found.filter(name=str(named)).first() if named else None
    if resource is None:
        raise ValidationError({"resource": "No resource with this id or name at this webhook's site."})
    changed = resource.status != wanted
    resources.resource_status_set(actor=None, resource=resource, status=wanted)
    return {"accepted": "resource_status", "resource": resource.pk, "status": wanted, "changed": changed}
