from datetime import timedelta

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from common.api.conditional import ConditionalObjectMixin
from common.api.idempotency import idempotent
from common.api.row_lists import RowListMixin
from reservations import hooks, selectors, services
from reservations.filters import ReservationFilter
from reservations.policies import approvals, checkin
from resources.selectors import site_by_ref, visible_resources
from tenancy.access import site_roles

from .serializers import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    ExtendSerializer,
    FirstFreeQuerySerializer,
    FirstFreeSerializer,
    RejectSerializer,
    ReservationSerializer,
    SeriesCreateSerializer,
    SeriesResultSerializer,
)

REASON = OpenApiParameter("reason", str, description="Why it is cancelled (stored, told to the owner, in the event).")
SCOPE = OpenApiParameter(
    "scope",
    str,
    enum=list(services.SCOPES),
    description="For an occurrence of a series: this one, this and the following ones, or all remaining.",
)


class ReservationViewSet(
    RowListMixin,
    ConditionalObjectMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Bookings of the sites you may see. DELETE cancels (the booking stays, marked cancelled).
    Lists are made from rows (a week of a large site is thousands of bookings)."""

    serializer_class = ReservationSerializer
    filterset_class = ReservationFilter
    ordering_fields = ["start", "end", "created"]
    # A booking's row is its columns and those of its resource, site, type and users (see row_cache).
    row_cache = True

    def row_cache_viewer(self, request):
        # The sites seen and the roles there decide what is listed and what is masked.
        user = request.user
        return user.pk, user.is_superuser, sorted(site_roles(user).items())

    def get_queryset(self):
        return selectors.reservation_list(user=self.request.user).order_by("start", "pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "details_visible": selectors.details_visible_to(self.request.user)}

    def _scope(self) -> str:
        return self.request.query_params.get("scope", "this")

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        with hooks.choosing(hooks.picked(data)):
            serializer.instance = services.reservation_create(actor=self.request.user, **data)

    @extend_schema(parameters=[SCOPE])
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(parameters=[SCOPE])
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def perform_update(self, serializer):
        changed = services.series_update(
            actor=self.request.user, reservation=serializer.instance, scope=self._scope(), **serializer.validated_data
        )
        pk = serializer.instance.pk
        # The anchor is not among the changed ones when it is over (scope=all moves what remains).
        serializer.instance = next((r for r in changed if r.pk == pk), None) or self.get_queryset().get(pk=pk)

    @extend_schema(parameters=[SCOPE, REASON], responses={200: ReservationSerializer(many=True)})
    def destroy(self, request, *args, **kwargs):
        cancelled = services.series_cancel(
            actor=request.user,
            reservation=self.get_object(),
            scope=self._scope(),
            reason=request.query_params.get("reason", "")[:500],
        )
        return Response(self.get_serializer(cancelled, many=True).data, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses={200: ReservationSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Site administrators: confirm a pending booking (409 `decided` when it no longer is pending)."""
        booking = approvals.reservation_approve(actor=request.user, reservation=self.get_object())
        return Response(self.get_serializer(booking).data)

    @extend_schema(request=RejectSerializer, responses={200: ReservationSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Site administrators: refuse a pending booking; its time is free again at once."""
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = approvals.reservation_reject(
            actor=request.user, reservation=self.get_object(), reason=serializer.validated_data.get("reason", "")
        )
        return Response(self.get_serializer(booking).data)

    @extend_schema(request=None, responses={200: ReservationSerializer})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """Owner (or site administrator): check in, from CHECKIN_EARLY_MINUTES before the start until
        the type's check-in window closes; without it the booking is released (no-show)."""
        booking = checkin.reservation_check_in(actor=request.user, reservation=self.get_object())
        return Response(self.get_serializer(booking).data)

    @extend_schema(request=None, responses={200: ReservationSerializer})
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        """Done early: a running booking ends now and the rest of its time is free."""
        booking = checkin.reservation_check_out(actor=request.user, reservation=self.get_object())
        return Response(self.get_serializer(booking).data)

    @extend_schema(request=ExtendSerializer, responses={200: ReservationSerializer})
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """A later end (`end`, or `minutes` more), when the time is free and the type's length,
        quota and cleanup rules allow it; 409 names what is in the way."""
        booking = self.get_object()
        serializer = ExtendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        end = serializer.validated_data.get("end") or booking.end + timedelta(
            minutes=serializer.validated_data["minutes"]
        )
        extended = checkin.reservation_extend(actor=request.user, reservation=booking, end=end)
        return Response(self.get_serializer(extended).data)

    @extend_schema(request=SeriesCreateSerializer, responses={201: SeriesResultSerializer})
    @action(detail=False, methods=["post"])
    @idempotent
    def series(self, request):
        """Create a recurring booking (all occurrences or none, unless skip_conflicts)."""
        serializer = SeriesCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with hooks.choosing(hooks.picked(data)):
            result = services.series_create(actor=request.user, **data)
        context = self.get_serializer_context()
        body = {
            "series": result.series.pk,
            "created": ReservationSerializer(result.created, many=True, context=context).data,
            "skipped": result.skipped,
        }
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[AvailabilityQuerySerializer], responses={200: AvailabilitySerializer})
@api_view(["GET"])
def resource_availability(request, pk: int):
    """Busy intervals (the resource's and its tree's bookings) and free slots in [start, end)."""
    resource = get_object_or_404(visible_resources(user=request.user).select_related("site"), pk=pk)
    query = AvailabilityQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    start, end = query.validated_data["start"], query.validated_data["end"]
    found = selectors.resource_availability(
        user=request.user, resource=resource, start=start, end=end, min_length=query.validated_data.get("min_length")
    )
    context = {"request": request, "details_visible": selectors.details_visible_to(request.user)}
    return Response(
        {
            "resource": resource.pk,
            "start": start,
            "end": end,
            "bookable": resource.is_bookable,
            "busy": [{"start": i.start, "end": i.end} for i in found["busy"]],
            "free": [{"start": i.start, "end": i.end} for i in found["free"]],
            "bookings": ReservationSerializer(found["bookings"], many=True, context=context).data,
        }
    )


@extend_schema(parameters=[FirstFreeQuerySerializer], responses={200: FirstFreeSerializer})
@api_view(["GET"])
def first_free_slot(request):
    """The earliest free slot of `duration` among a site's active resources of one type."""
    query = FirstFreeQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    q = query.validated_data
    site = site_by_ref(user=request.user, ref=q["site"])
    if site is None:
        raise ValidationError({"site": [f"No site {q['site']} that you may see."]})
    candidates = (
        visible_resources(user=request.user)
        .filter(site=site, resource_type_id=q["type"])
        .select_related("resource_type", "site")
        .order_by("name")
    )
    found = selectors.first_free_slot(
        user=request.user, resources=candidates, duration=q["duration"], after=q["after"], before=q["before"]
    )
    if found is None:
        return Response({"found": False, "resource": None, "resource_name": None, "start": None, "end": None})
    resource, start = found
    return Response(
        {
            "found": True,
            "resource": resource.pk,
            "resource_name": resource.name,
            "start": start,
            "end": start + q["duration"],
        }
    )
