"""Every write to webhook configuration, and the operator's actions on deliveries."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.events import publish, snapshot
from common.exceptions import Conflict
from common.services import apply_changes, validated_save
from common.snapshots import MASK
from tenancy.access import require_site_admin
from webhooks import outbox
from webhooks.transport import safety, signing

from .models import EVENT_TYPES, WEBHOOK_EDITABLE_FIELDS, Delivery, DeliveryStatus, ScopeKind, Webhook

FIELDS = WEBHOOK_EDITABLE_FIELDS
FORBIDDEN_HEADERS = {"content-type", "content-length", "host", "webhook-id", "webhook-timestamp", "webhook-signature"}


def _validate(webhook: Webhook) -> None:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(webhook.event_types) - set(EVENT_TYPES))
    if unknown:
        errors["event_types"] = [f"Unknown event type(s): {', '.join(unknown)}."]
    if webhook.scope == ScopeKind.RESOURCE_TYPE:
        kind = webhook.resource_type
        if kind is None:
            errors["resource_type"] = ["Choose the resource type this webhook listens to."]
        elif kind.site_id not in (None, webhook.site_id):
            errors["resource_type"] = ["This resource type belongs to another site."]
    elif webhook.scope in (ScopeKind.RESOURCE, ScopeKind.RESOURCE_TREE):
        if webhook.resource is None:
            errors["resource"] = ["Choose the resource this webhook listens to."]
        elif webhook.resource.site_id != webhook.site_id:
            errors["resource"] = ["This resource is at another site."]
    if not isinstance(webhook.headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in (webhook.headers or {}).items()
    ):
        errors["headers"] = ["Headers must be an object of name: text value."]
    elif FORBIDDEN_HEADERS & {k.lower() for k in webhook.headers}:
        errors["headers"] = [f"These headers are set by Reservoir: {', '.join(sorted(FORBIDDEN_HEADERS))}."]
    try:
        safety.check_url(webhook.url)
    except ValidationError as exc:
        errors["url"] = exc.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def webhook_create(*, actor, site, name: str, url: str, **options) -> tuple[Webhook, str]:
    """Returns the webhook and its secret, which is shown this once."""
    require_site_admin(actor, site.pk, "manage its webhooks")
    secret = signing.generate_secret()
    webhook = Webhook(site=site, name=name, url=url, secret=secret, created_by=actor)
    apply_changes(webhook, options, allowed=FIELDS)
    _validate(webhook)
    validated_save(webhook)
    publish("webhook.created", actor=actor, instance=webhook, site_id=site.pk, after=snapshot(webhook))
    return webhook, secret


@transaction.atomic
def webhook_update(*, actor, webhook: Webhook, **changes) -> Webhook:
    require_site_admin(actor, webhook.site_id, "manage its webhooks")
    before = snapshot(webhook)
    if isinstance(changes.get("headers"), dict):
        changes["headers"] = keep_masked_values(webhook.headers, changes["headers"])
    changed = apply_changes(webhook, changes, allowed=FIELDS)
    if not changed:
        return webhook
    if "enabled" in changed and webhook.enabled:
        webhook.consecutive_failures = 0
        webhook.disabled_reason = ""
    _validate(webhook)
    validated_save(webhook)
    publish(
        "webhook.updated",
        actor=actor,
        instance=webhook,
        site_id=webhook.site_id,
        before=before,
        after=snapshot(webhook),
    )
    return webhook


def keep_masked_values(current: dict | None, sent: dict) -> dict:
    """Headers come back from the API and the admin with masked values (common.snapshots.mask_values);
    a value sent back masked means "unchanged"."""
    current = current or {}
    return {
        name: current.get(name, "") if isinstance(value, str) and value.startswith(MASK) else value
        for name, value in sent.items()
    }


@transaction.atomic
def webhook_delete(*, actor, webhook: Webhook) -> None:
    require_site_admin(actor, webhook.site_id, "manage its webhooks")
    publish("webhook.deleted", actor=actor, instance=webhook, site_id=webhook.site_id, before=snapshot(webhook))
    webhook.delete()


@transaction.atomic
def webhook_rotate_secret(*, actor, webhook: Webhook, revoke_old: bool = False) -> str:
    """A new secret. The old one stays valid (both signatures are sent) for the overlap window, or,
    with `revoke_old` (it leaked), stops at once."""
    require_site_admin(actor, webhook.site_id, "manage its webhooks")
    before = snapshot(webhook)
    if revoke_old:
        webhook.previous_secret, webhook.previous_secret_expires_at = "", None
    else:
        webhook.previous_secret = webhook.secret
        webhook.previous_secret_expires_at = timezone.now() + timedelta(
            hours=settings.WEBHOOK_SECRET_ROTATION_OVERLAP_HOURS
        )
    webhook.secret = signing.generate_secret()
    webhook.save(update_fields=["previous_secret", "previous_secret_expires_at", "secret", "updated"])
    publish(
        "webhook.secret_rotated",
        message="The old secret was revoked at once." if revoke_old else "",
        actor=actor,
        instance=webhook,
        site_id=webhook.site_id,
        before=before,
        after=snapshot(webhook),
    )
    return webhook.secret


@transaction.atomic
def webhook_send_test(*, actor, webhook: Webhook):
    require_site_admin(actor, webhook.site_id, "manage its webhooks")
    event = outbox.write_event(
        event_type="webhook.test",
        data={"webhook": {"id": webhook.pk, "name": webhook.name}, "message": "This is a test event from Reservoir."},
        site_id=webhook.site_id,
        webhooks=[webhook],
    )
    return event.deliveries.get()


@transaction.atomic
def delivery_resend(*, actor, delivery: Delivery) -> Delivery:
    """Send again by hand (same event id, so receivers that de-duplicate ignore a repeat)."""
    require_site_admin(actor, delivery.webhook.site_id, "manage its webhooks")
    if delivery.status == DeliveryStatus.DELIVERING:
        raise Conflict("This delivery is being sent right now.")
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    publish("webhook.delivery_resent", actor=actor, instance=delivery, site_id=delivery.webhook.site_id)
    outbox.enqueue_after_commit([delivery.pk])
    return delivery
