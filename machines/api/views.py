from datetime import timedelta

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response

from common.api.conditional import ConditionalObjectMixin
from reservations.selectors import details_visible_q, reservation_list
from resources.models import Resource, ResourceType
from tenancy.access import administered_site_ids, scope_to_sites

from .. import selectors, services
from ..authentication import IsMachine, MachineAuthentication
from ..filters import BookingUsageFilter, MachineTokenFilter, UsagePolicyFilter, UsageSampleFilter
from ..services.usage import Reading
from .serializers import (
    BookingUsageSerializer,
    MachineStateSerializer,
    MachineTokenSerializer,
    NewMachineTokenSerializer,
    SampleInSerializer,
    UsagePolicySerializer,
    UsageSampleSerializer,
)


@extend_schema(responses={200: MachineStateSerializer}, tags=["agent"])
@api_view(["GET"])
@authentication_classes([MachineAuthentication])
@permission_classes([IsMachine])
def agent_state(request):
    """For the agent on a machine: who holds it now and in the next day, with their SSH keys."""
    return Response(selectors.machine_state(request.auth.resource))


@extend_schema(request=SampleInSerializer, responses={201: UsageSampleSerializer}, tags=["agent"])
@api_view(["POST"])
@authentication_classes([MachineAuthentication])
@permission_classes([IsMachine])
def agent_usage(request):
    """For the agent on a machine: one sample of its use (every minute)."""
    incoming = SampleInSerializer(data=request.data)
    incoming.is_valid(raise_exception=True)
    data = incoming.validated_data
    reading = Reading(
        taken_at=data["taken_at"],
        interval=timedelta(seconds=data["interval_seconds"]),
        logged_in=sorted(set(data["logged_in"])),
        shared_account=data["shared_account"],
        load=data["load"],
        gpus=[dict(g) for g in data["gpus"]],
        foreign=[dict(f) for f in data["foreign"]],
    )
    sample = services.usage_record(token=request.auth, reading=reading)
    return Response(UsageSampleSerializer(sample).data, status=status.HTTP_201_CREATED)


class BookingUsageViewSet(viewsets.ReadOnlyModelViewSet):
    """What bookings' time was used for, as their machines' agents measured it: your own bookings,
    and your sites' as their administrator. The id is the booking's."""

    serializer_class = BookingUsageSerializer
    filterset_class = BookingUsageFilter
    ordering_fields = ["reservation", "first_login_at", "last_activity_at"]

    def get_queryset(self):
        return selectors.usage_list(user=self.request.user).order_by("-reservation_id")


@extend_schema(responses={200: BookingUsageSerializer}, tags=["reservations"])
@api_view(["GET"])
def reservation_usage(request, pk: int):
    """One booking's use: the usage block of a booking (404 until its machine has reported)."""
    bookings = reservation_list(user=request.user).filter(details_visible_q(request.user))
    booking = get_object_or_404(bookings, pk=pk)
    usage = get_object_or_404(selectors.usage_list(user=request.user), reservation=booking)
    return Response(BookingUsageSerializer(usage).data)


class UsageSampleViewSet(viewsets.ReadOnlyModelViewSet):
    """The machines' minute-by-minute samples (kept USAGE_RETENTION_DAYS), for their sites' administrators."""

    serializer_class = UsageSampleSerializer
    filterset_class = UsageSampleFilter
    ordering_fields = ["taken_at"]

    def get_queryset(self):
        return selectors.usage_samples(user=self.request.user).order_by("-taken_at", "-pk")


class MachineTokenViewSet(
    ConditionalObjectMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Machine tokens of the sites you administer. The secret is in the creation answer only;
    DELETE revokes (the record stays)."""

    serializer_class = MachineTokenSerializer
    filterset_class = MachineTokenFilter
    ordering_fields = ["created", "last_seen_at"]

    def get_queryset(self):
        return selectors.machine_token_list(user=self.request.user).order_by("-created", "-pk")

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if hasattr(serializer, "fields") and "resource" in serializer.fields:
            resources = Resource.objects.all()
            serializer.fields["resource"].queryset = scope_to_sites(resources, administered_site_ids(self.request.user))
        return serializer

    @extend_schema(request=MachineTokenSerializer, responses={201: NewMachineTokenSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.machine_token_create(
            actor=request.user, resource=serializer.validated_data["resource"], name=serializer.validated_data["name"]
        )
        token.token = secret
        return Response(NewMachineTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.machine_token_revoke(actor=self.request.user, token=instance)


class UsagePolicyViewSet(
    ConditionalObjectMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Usage policies of the resource types you administer (the id is the type's). A type without
    one ends sessions at the end and has every other policy off."""

    serializer_class = UsagePolicySerializer
    ordering_fields = ["resource_type"]
    filterset_class = UsagePolicyFilter

    def _types(self):
        return scope_to_sites(ResourceType.objects.all(), administered_site_ids(self.request.user))

    def get_queryset(self):
        return selectors.usage_policy_list(user=self.request.user).order_by("resource_type_id")

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        return UsagePolicySerializer(*args, types=self._types(), **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.usage_policy_save(actor=self.request.user, **data)

    def perform_update(self, serializer):
        serializer.instance = services.usage_policy_save(
            actor=self.request.user, resource_type=serializer.instance.resource_type, **serializer.validated_data
        )
