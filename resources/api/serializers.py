from rest_framework import serializers

from common.api.serializers import ModelSerializer, ScopedRelationsMixin
from resources import selectors
from resources.models import Resource, ResourceType
from tenancy.models import Site


class SiteSerializer(ModelSerializer):
    resource_count = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(max_length=50, required=False, help_text="Derived from the name when omitted.")

    class Meta:
        model = Site
        fields = ["id", "name", "slug", "description", "location", "time_zone", "resource_count", "created", "updated"]
        # Meaning (uniqueness, time zone) is checked by the model's full_clean in the service, so
        # that every field's error comes back in one response and forms share the same rules.
        validators = []
        extra_kwargs = {"name": {"validators": []}, "time_zone": {"validators": []}}


class ResourceTypeSerializer(ScopedRelationsMixin, ModelSerializer):
    scoped_relations = {"site": selectors.visible_sites}
    site_name = serializers.CharField(source="site.name", read_only=True, allow_null=True)
    resource_count = serializers.IntegerField(read_only=True)
    parameter_schema = serializers.JSONField(
        required=False,
        help_text="List of {key, label, type (text/number/boolean/choice), required, choices}.",
    )

    class Meta:
        model = ResourceType
        fields = [
            "id",
            "site",
            "site_name",
            "name",
            "color",
            "description",
            "parameter_schema",
            "min_duration",
            "max_duration",
            "max_horizon",
            "min_notice",
            "cleanup",
            "requires_approval",
            "approval_timeout",
            "checkin_window",
            "resource_count",
            "created",
            "updated",
        ]
        validators = []
        extra_kwargs = {"color": {"validators": []}}


class ResourceSerializer(ScopedRelationsMixin, ModelSerializer):
    scoped_relations = {
        "site": selectors.visible_sites,
        "resource_type": selectors.visible_resource_types,
        "parent": selectors.visible_resources,
    }
    site_name = serializers.CharField(source="site.name", read_only=True)
    type_name = serializers.CharField(source="resource_type.name", read_only=True)
    type_color = serializers.CharField(source="resource_type.color", read_only=True)
    parent_name = serializers.CharField(source="parent.name", read_only=True, allow_null=True)
    children = serializers.ListField(
        source="children_ids",
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Ids of direct sub-resources.",
    )
    attributes = serializers.JSONField(required=False, help_text="Free-form JSON object.")

    class Meta:
        model = Resource
        fields = [
            "id",
            "site",
            "site_name",
            "resource_type",
            "type_name",
            "type_color",
            "parent",
            "parent_name",
            "children",
            "name",
            "description",
            "specs",
            "attributes",
            "location",
            "status",
            "leaves_service_at",
            "cleanup",
            "created",
            "updated",
        ]
        validators = []


class ResourceStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Resource._meta.get_field("status").choices)
    cancel_future_bookings = serializers.BooleanField(
        default=False, help_text="Cancel the resource's future bookings instead of only telling their owners."
    )
