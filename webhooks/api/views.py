import json

from django.db import IntegrityError, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from common.api.conditional import ConditionalObjectMixin
from common.exceptions import Conflict, DomainError
from webhooks import selectors, services
from webhooks.filters import DeliveryFilter, WebhookFilter
from webhooks.inbound import handle_callback
from webhooks.models import Webhook
from webhooks.transport import delivery as sending
from webhooks.transport import signing

from .serializers import (
    DeliverySerializer,
    NewWebhookSerializer,
    RotateSecretSerializer,
    SecretSerializer,
    WebhookSerializer,
)


class SignatureRefused(DomainError):
    status_code = 401
    code = "invalid_signature"


class WebhookViewSet(ConditionalObjectMixin, viewsets.ModelViewSet):
    """Webhooks of the sites you administer. The secret appears once, in the creation (or
    rotation) response; it is never shown again."""

    serializer_class = WebhookSerializer
    filterset_class = WebhookFilter
    ordering_fields = ["name", "created"]

    def get_queryset(self):
        return selectors.webhook_list(user=self.request.user)

    @extend_schema(responses={201: NewWebhookSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        webhook, secret = services.webhook_create(
            actor=request.user, site=data.pop("site"), name=data.pop("name"), url=data.pop("url"), **data
        )
        body = NewWebhookSerializer(webhook, context=self.get_serializer_context()).data
        body["secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("site", None)
        serializer.instance = services.webhook_update(actor=self.request.user, webhook=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.webhook_delete(actor=self.request.user, webhook=instance)

    @extend_schema(request=RotateSecretSerializer, responses={200: SecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret; during the overlap window both signatures are sent, unless
        `revoke_old` (the old secret leaked): then it stops at once."""
        body = RotateSecretSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        secret = services.webhook_rotate_secret(
            actor=request.user, webhook=self.get_object(), revoke_old=body.validated_data["revoke_old"]
        )
        return Response({"secret": secret})

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a webhook.test event now."""
        delivery = services.webhook_send_test(actor=request.user, webhook=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def health(self, request, pk=None):
        """Success rate and p50/p95 response time over the last hour, day and week; last failure."""
        return Response(selectors.webhook_health(self.get_object()))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={202: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], permission_classes=[AllowAny], authentication_classes=[])
    def callback(self, request, pk=None):
        """Receivers post back here, signed with the webhook's secret like our deliveries:
        {"type": "progress", "reservation": id, "note": "..."} or
        {"type": "provisioning_result", "event_id": "...", "result": {...}} or, from monitoring,
        {"type": "resource_status", "resource": id or name, "status": "unavailable"} (a site webhook's
        resource leaves service: its lease and opted-in bookings are moved to free matching ones)."""
        webhook = Webhook.objects.filter(pk=pk, enabled=True).first()
        body = request.body
        if webhook is None:
            raise NotFound("Unknown or disabled webhook.")
        try:
            signing.verify_any(sending.valid_secrets(webhook), request.headers, body)
        except signing.InvalidSignature as exc:
            raise SignatureRefused(str(exc)) from exc
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise DomainError("The body is not JSON.") from exc
        try:
            with transaction.atomic():
                result = handle_callback(webhook=webhook, message_id=request.headers["webhook-id"], payload=payload)
        except IntegrityError as exc:
            raise Conflict("This webhook-id was already received.", code="duplicate") from exc
        return Response(result, status=status.HTTP_202_ACCEPTED)


class DeliveryViewSet(
    ConditionalObjectMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every delivery with its attempts (request headers and body without secrets, response status
    and first 4 KB, duration, error, next retry)."""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    ordering_fields = ["created", "delivered_at", "attempts"]

    def get_queryset(self):
        return selectors.delivery_list(user=self.request.user).prefetch_related("attempt_log")

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        delivery = services.delivery_resend(actor=request.user, delivery=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
