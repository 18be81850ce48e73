"""Receivers talking back: progress notes for a booking's owner, and provisioning results."""

from django.core.exceptions import ValidationError

from notifications.services import notify
from reservations.models import Reservation

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
    raise ValidationError({"type": "Use 'progress' or 'provisioning_result'."})
