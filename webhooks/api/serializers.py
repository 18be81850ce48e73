from rest_framework import serializers

from common.api.serializers import ModelSerializer, ScopedRelationsMixin
from common.snapshots import mask_values
from resources.selectors import visible_resource_types, visible_resources, visible_sites
from webhooks.models import EVENT_TYPES, WEBHOOK_EDITABLE_FIELDS, Delivery, DeliveryAttempt, Webhook


class WebhookSerializer(ScopedRelationsMixin, ModelSerializer):
    scoped_relations = {"site": visible_sites, "resource_type": visible_resource_types, "resource": visible_resources}
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), required=False, help_text="Empty: all event types."
    )
    headers = serializers.JSONField(required=False, help_text="Extra request headers: {name: value}.")
    state = serializers.CharField(read_only=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["headers"] = mask_values(data.get("headers") or {})  # send them back masked: unchanged
        return data

    class Meta:
        model = Webhook
        fields = [
            "id",
            "site",
            *WEBHOOK_EDITABLE_FIELDS,
            "state",
            "consecutive_failures",
            "disabled_reason",
            "created",
            "updated",
        ]
        read_only_fields = ["consecutive_failures", "disabled_reason", "created", "updated"]
        validators = []


class NewWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown only in this response: store it now.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class RotateSecretSerializer(serializers.Serializer):
    revoke_old = serializers.BooleanField(
        default=False, help_text="The old secret leaked: stop accepting it now instead of after the overlap window."
    )


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Shown only in this response.")


class AttemptSerializer(ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "started",
            "request_headers",
            "request_body",
            "response_status",
            "response_body",
            "duration_ms",
            "error",
            "next_retry_at",
            "succeeded",
        ]


class DeliverySerializer(ModelSerializer):
    event_type = serializers.CharField(source="event.type", read_only=True)
    event_id = serializers.UUIDField(source="event.id", read_only=True)
    webhook_name = serializers.CharField(source="webhook.name", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "webhook",
            "webhook_name",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created",
            "delivered_at",
            "provisioning_result",
            "attempt_log",
        ]
