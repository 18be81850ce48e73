"""Leases through the API: book any N matching resources at once, see when N are free, and move,
extend or cancel them together."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.api.conditional import ConditionalObjectMixin
from common.api.fields import VisibleRelatedField
from common.api.idempotency import idempotent
from common.api.serializers import ModelSerializer
from reservations import hooks
from reservations.leases import search as lease_search
from reservations.leases import selectors as lease_selectors
from reservations.leases import services as leases
from reservations.leases.models import Lease
from reservations.models import Reservation
from resources.models import ResourceType
from resources.selectors import visible_resource_types, visible_sites
from tenancy.models import Site

from .serializers import AwareDateTimeField, add_choice_fields

WHERE_HELP = "Attribute filter, e.g. `gpu_memory_gb >= 80, gpu_model = A100, interconnect in (nvlink, infiniband)`."


class LeaseBookingSerializer(ModelSerializer):
    resource_name = serializers.CharField(source="resource.name", read_only=True)

    class Meta:
        model = Reservation
        fields = ["id", "resource", "resource_name", "status"]
        read_only_fields = fields


class LeaseSerializer(ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    resource_type_name = serializers.CharField(source="resource_type.name", read_only=True)
    status = serializers.SerializerMethodField()
    bookings = LeaseBookingSerializer(many=True, read_only=True)

    class Meta:
        model = Lease
        fields = [
            "id",
            "site",
            "site_name",
            "resource_type",
            "resource_type_name",
            "owner",
            "title",
            "where",
            "count",
            "start",
            "end",
            "status",
            "cancelled_at",
            "bookings",
            "created",
        ]
        read_only_fields = fields

    def get_status(self, lease) -> str:
        return leases.lease_status(lease, list(lease.bookings.all()))


class LeaseCreateSerializer(serializers.Serializer):
    site = VisibleRelatedField(visible_sites, Site)
    resource_type = VisibleRelatedField(visible_resource_types, ResourceType)
    count = serializers.IntegerField(min_value=1, max_value=lease_search.MAX_COUNT)
    where = serializers.CharField(max_length=500, required=False, allow_blank=True, default="", help_text=WHERE_HELP)
    start = AwareDateTimeField(required=False, help_text="A fixed time: give start and end.")
    end = AwareDateTimeField(required=False)
    duration = serializers.DurationField(required=False, help_text="Or a duration (HH:MM:SS) and a search window.")
    window_start = AwareDateTimeField(required=False)
    window_end = AwareDateTimeField(required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    parameters = serializers.JSONField(required=False, default=dict)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        add_choice_fields(self, "Every booking of the lease is charged to it.")


class LeaseUpdateSerializer(serializers.Serializer):
    start = AwareDateTimeField(required=False)
    end = AwareDateTimeField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"start": "Give a new start, a new end, or both."})
        return attrs


class LeaseAvailabilityQuerySerializer(serializers.Serializer):
    site = VisibleRelatedField(visible_sites, Site)
    resource_type = VisibleRelatedField(visible_resource_types, ResourceType)
    count = serializers.IntegerField(min_value=1, max_value=lease_search.MAX_COUNT)
    duration = serializers.DurationField(help_text="HH:MM:SS or 'D HH:MM:SS'")
    window_start = AwareDateTimeField()
    window_end = AwareDateTimeField()
    where = serializers.CharField(max_length=500, required=False, allow_blank=True, default="", help_text=WHERE_HELP)
    limit = serializers.IntegerField(min_value=1, max_value=lease_search.MAX_WINDOWS, default=3)


class ProposedResourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LeaseWindowSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    latest_start = serializers.DateTimeField(help_text="Any start up to this keeps `count` free.")
    available = serializers.IntegerField(help_text="Matching resources free at `start`.")
    resources = ProposedResourceSerializer(many=True, help_text="The ones a lease would take (least booked first).")


class LeaseAvailabilitySerializer(serializers.Serializer):
    matching = serializers.IntegerField(help_text="Resources that match the filter and you may book.")
    windows = LeaseWindowSerializer(many=True)


class LeaseCancelQuerySerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LeaseFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="site_id")
    resource_type = django_filters.NumberFilter(field_name="resource_type_id")
    start_after = django_filters.IsoDateTimeFilter(field_name="end", lookup_expr="gt", label="Ends after")
    start_before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt", label="Starts before")

    class Meta:
        model = Lease
        fields = ["site", "resource_type", "start_after", "start_before"]


class LeaseViewSet(
    ConditionalObjectMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """N matching resources booked together: all or none, moved and cancelled as one."""

    serializer_class = LeaseSerializer
    filterset_class = LeaseFilter

    def get_queryset(self):
        bookings = Reservation.objects.select_related("resource").order_by("resource__name", "pk")
        return (
            lease_selectors.lease_list(user=self.request.user)
            .prefetch_related(Prefetch("bookings", queryset=bookings))
            .order_by("start", "pk")
        )

    def _read(self, lease: Lease, code: int = status.HTTP_200_OK) -> Response:
        lease = self.get_queryset().get(pk=lease.pk)
        return Response(LeaseSerializer(lease, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=LeaseCreateSerializer, responses={201: LeaseSerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        """Book `count` free resources of a type matching `where`: at a fixed `start`-`end`, or for
        `duration` at the earliest start in [`window_start`, `window_end`) at which `count` are free
        together. 409 `not_enough_free` says how many were free."""
        body = LeaseCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        with hooks.choosing(hooks.picked(data)):
            lease = leases.lease_create(actor=request.user, **data)
        return self._read(lease, status.HTTP_201_CREATED)

    @extend_schema(request=LeaseUpdateSerializer, responses={200: LeaseSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Move, extend or shorten every booking of the lease; one refusal changes nothing."""
        lease = self.get_object()
        body = LeaseUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        leases.lease_update(actor=request.user, lease=lease, **body.validated_data)
        return self._read(lease)

    @extend_schema(parameters=[LeaseCancelQuerySerializer], responses={200: LeaseSerializer})
    def destroy(self, request, *args, **kwargs):
        """Cancel every booking of the lease (`?reason=` is told to the owner and sent in events)."""
        lease = self.get_object()
        query = LeaseCancelQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        leases.lease_cancel(actor=request.user, lease=lease, reason=query.validated_data["reason"])
        return self._read(lease)

    @extend_schema(
        parameters=[LeaseAvailabilityQuerySerializer],
        responses={200: LeaseAvailabilitySerializer},
        operation_id="leases_availability",
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def availability(self, request):
        """When could I get `count` matching resources for `duration`? The first `limit` windows in
        the search window, each with the resources a lease would take."""
        query = LeaseAvailabilityQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        q = query.validated_data
        windows, matching = lease_search.find(
            actor=request.user,
            site=q["site"],
            resource_type=q["resource_type"],
            count=q["count"],
            duration=q["duration"],
            after=q["window_start"],
            before=q["window_end"],
            where=q["where"],
            limit=q["limit"],
        )
        body = {
            "matching": matching,
            "windows": [
                {
                    "start": w.start,
                    "end": w.end,
                    "latest_start": w.latest_start,
                    "available": w.available,
                    "resources": [{"id": r.pk, "name": r.name} for r in w.resources[: q["count"]]],
                }
                for w in windows
            ],
        }
        return Response(body)
