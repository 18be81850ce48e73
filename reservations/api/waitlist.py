"""The waitlist through the API: join a taken slot, see where you stand, leave."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from common.api.conditional import ConditionalObjectMixin
from common.api.fields import VisibleRelatedField
from common.api.serializers import ModelSerializer
from common.web.forms import object_id
from reservations.policies import waitlist
from reservations.policies.models import WaitlistEntry, WaitlistStatus
from resources.models import Resource
from resources.selectors import visible_resources

from .serializers import AwareDateTimeField


class WaitlistEntrySerializer(ModelSerializer):
    resource = VisibleRelatedField(visible_resources, Resource)
    resource_name = serializers.CharField(source="resource.name", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)
    start = AwareDateTimeField()
    end = AwareDateTimeField()

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "resource",
            "resource_name",
            "user",
            "start",
            "end",
            "auto_book",
            "title",
            "parameters",
            "status",
            "booking",
            "note",
            "created",
            "resolved_at",
        ]
        read_only_fields = ["status", "booking", "note", "created", "resolved_at"]
        validators = []


class WaitlistFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WaitlistStatus.choices)
    resource = django_filters.NumberFilter(method="of_resource", label="Resource id")

    class Meta:
        model = WaitlistEntry
        fields = ["status", "resource"]

    def of_resource(self, queryset, name, value):
        resource_id = object_id(value)
        return queryset.filter(resource_id=resource_id) if resource_id else queryset.none()


class WaitlistViewSet(
    ConditionalObjectMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Wait for a taken slot (409 `free` when it is not taken: book it). When it frees, the first
    waiter gets it booked (auto_book) or is told. DELETE leaves the list."""

    serializer_class = WaitlistEntrySerializer
    filterset_class = WaitlistFilter

    def get_queryset(self):
        return waitlist.waitlist_visible(user=self.request.user).order_by("created", "pk")

    def perform_create(self, serializer):
        serializer.instance = waitlist.join(actor=self.request.user, **serializer.validated_data)

    @extend_schema(responses={200: WaitlistEntrySerializer})
    def destroy(self, request, *args, **kwargs):
        entry = waitlist.leave(actor=request.user, entry=self.get_object())
        return Response(self.get_serializer(entry).data, status=status.HTTP_200_OK)
