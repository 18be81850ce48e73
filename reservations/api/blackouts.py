"""Blackouts through the API: everyone sees their sites' closures; site administrators lay and
remove them (laying one over bookings is a 409 naming them, unless cancel_bookings)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from common.api.conditional import ConditionalObjectMixin
from common.api.fields import VisibleRelatedField
from common.api.serializers import ModelSerializer
from common.filters import SiteRefFilter
from common.web.forms import object_id
from reservations.policies import blackouts
from reservations.policies.models import Blackout, BlackoutPeriod
from resources.models import Resource
from resources.selectors import visible_resources, visible_sites
from tenancy.models import Site

from .serializers import AwareDateTimeField


class PeriodSerializer(ModelSerializer):
    class Meta:
        model = BlackoutPeriod
        fields = ["start", "end"]


class BlackoutSerializer(ModelSerializer):
    site = VisibleRelatedField(visible_sites, Site)
    resource = VisibleRelatedField(
        visible_resources, Resource, required=False, allow_null=True, help_text="Empty: the whole site."
    )
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    periods = PeriodSerializer(many=True, read_only=True)
    cancel_bookings = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Cancel the bookings inside it (owners are told); otherwise they refuse it (409).",
    )
    cancelled = serializers.ListField(child=serializers.IntegerField(), read_only=True, required=False)

    class Meta:
        model = Blackout
        fields = [
            "id",
            "site",
            "resource",
            "start",
            "end",
            "rrule",
            "reason",
            "periods",
            "cancel_bookings",
            "cancelled",
        ]
        validators = []


class BlackoutFilter(django_filters.FilterSet):
    site = SiteRefFilter()
    resource = django_filters.NumberFilter(method="of_resource", label="Resource id")
    start = django_filters.IsoDateTimeFilter(method="ends_after", help_text="With a period ending after this.")
    end = django_filters.IsoDateTimeFilter(method="starts_before", help_text="With a period starting before this.")

    class Meta:
        model = Blackout
        fields = ["site", "resource", "start", "end"]

    def of_resource(self, queryset, name, value):
        resource_id = object_id(value)
        return queryset.filter(resource_id=resource_id) if resource_id else queryset.none()

    def ends_after(self, queryset, name, value):
        return queryset.filter(periods__end__gt=value).distinct()

    def starts_before(self, queryset, name, value):
        return queryset.filter(periods__start__lt=value).distinct()


class BlackoutViewSet(
    ConditionalObjectMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Windows in which nothing can be booked (maintenance, holidays), with their periods."""

    serializer_class = BlackoutSerializer
    filterset_class = BlackoutFilter

    def get_queryset(self):
        return blackouts.blackouts_visible(user=self.request.user).prefetch_related("periods").order_by("start", "pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        blackout, cancelled = blackouts.blackout_create(actor=request.user, **data)
        blackout.cancelled = [b.pk for b in cancelled]
        return Response(self.get_serializer(blackout).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        blackouts.blackout_delete(actor=request.user, blackout=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
