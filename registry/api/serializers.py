from rest_framework import serializers

from common.api.fields import VisibleRelatedField
from common.api.serializers import ModelSerializer, ScopedRelationsMixin
from registry.kinds import Kind
from registry.models import Allocation, AllocationConflict, AllocationHistory, AllocationTemplate
from registry.selectors import allocation_list
from resources.selectors import visible_sites
from tenancy.models import Site


class AllocationSerializer(ScopedRelationsMixin, ModelSerializer):
    scoped_relations = {"site": visible_sites}
    resource_value = serializers.CharField(max_length=500, help_text="Stored in canonical form.")
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    metadata = serializers.JSONField(required=False)
    # Among the allocations the requester may see: another site's ids read as "does not exist".
    depends_on = VisibleRelatedField(allocation_list, Allocation, many=True, required=False)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "site",
            "resource_type",
            "resource_name",
            "resource_value",
            "environment",
            "server_hostname",
            "owner_service",
            "owner",
            "assigned_to",
            "status",
            "is_locked",
            "metadata",
            "description",
            "notes",
            "depends_on",
            "expires_at",
            "booking",
            "allocated_at",
            "released_at",
            "created",
            "updated",
        ]
        read_only_fields = ["is_locked", "booking", "allocated_at", "released_at", "created", "updated"]
        validators = []


class AllocationUpdateSerializer(AllocationSerializer):
    """Everything may be sent; the service refuses changes of type, value, environment or site."""

    class Meta(AllocationSerializer.Meta):
        extra_kwargs = {"site": {"required": False}}


class CheckSerializer(serializers.Serializer):
    resource_type = serializers.ChoiceField(choices=Kind.choices)
    resource_value = serializers.CharField()
    environment = serializers.SlugField(default="production")


class FindPortsSerializer(serializers.Serializer):
    start_port = serializers.IntegerField(min_value=1, max_value=65535, default=1024)
    end_port = serializers.IntegerField(min_value=1, max_value=65535, default=65535)
    count = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    environment = serializers.SlugField(default="production")

    def validate(self, attrs):
        if attrs["end_port"] < attrs["start_port"]:
            raise serializers.ValidationError({"end_port": "The end of the range is below its start."})
        return attrs


class NextPortSerializer(FindPortsSerializer):
    site = VisibleRelatedField(visible_sites, Site)
    resource_name = serializers.CharField(max_length=200)
    owner_service = serializers.CharField(max_length=100)
    server_hostname = serializers.CharField(max_length=253, required=False, default="", allow_blank=True)
    description = serializers.CharField(required=False, default="", allow_blank=True)


class FindIpsSerializer(serializers.Serializer):
    network = serializers.CharField(help_text="CIDR, e.g. 10.20.0.0/24")
    count = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    environment = serializers.SlugField(default="production")


class AllocationSpecSerializer(AllocationSerializer):
    """One claim of a bulk request (the site is given once, for all)."""

    class Meta(AllocationSerializer.Meta):
        fields = [f for f in AllocationSerializer.Meta.fields if f != "site"]


class BulkSerializer(serializers.Serializer):
    site = VisibleRelatedField(visible_sites, Site)
    allocations = AllocationSpecSerializer(many=True)


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField()


class ConflictSerializer(ModelSerializer):
    attempted_by = serializers.CharField(source="attempted_by.username", read_only=True, allow_null=True)
    held_by = AllocationSerializer(read_only=True)

    class Meta:
        model = AllocationConflict
        fields = [
            "id",
            "created",
            "attempted_by",
            "owner_service",
            "resource_type",
            "resource_value",
            "environment",
            "kind",
            "severity",
            "held_by",
            "resolved_at",
            "resolution_note",
        ]


class HistorySerializer(ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True)

    class Meta:
        model = AllocationHistory
        fields = ["created", "action", "actor", "ip", "user_agent", "old_status", "new_status", "changes"]


class TemplateSerializer(ModelSerializer):
    specs = serializers.JSONField(
        help_text='[{"resource_type": "port", "resource_value": "next:8000-8999", '
        '"resource_name": "{service} API"}, ...]'
    )

    class Meta:
        model = AllocationTemplate
        fields = ["id", "name", "description", "specs", "created", "updated"]
        validators = []
        extra_kwargs = {"name": {"validators": []}}


class ApplyTemplateSerializer(serializers.Serializer):
    site = VisibleRelatedField(visible_sites, Site)
    service = serializers.CharField(max_length=100)
    environment = serializers.SlugField(default="production")
    variables = serializers.DictField(child=serializers.CharField(), required=False, default=dict)
