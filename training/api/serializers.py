from django.contrib.auth import get_user_model
from rest_framework import serializers

from resources.models import Resource, ResourceType

from ..models import Qualification, Requirement, Trainer, TrainingRequest
from ..rules import standing_of


class RequirementSerializer(serializers.ModelSerializer):
    resource_type = serializers.PrimaryKeyRelatedField(queryset=ResourceType.objects.none())
    resource = serializers.PrimaryKeyRelatedField(queryset=Resource.objects.none(), required=False, allow_null=True)
    subject = serializers.CharField(read_only=True, help_text="What the training is for: the resource, else the type.")
    site = serializers.IntegerField(source="resource_type.site_id", read_only=True)

    class Meta:
        model = Requirement
        fields = ["id", "site", "resource_type", "resource", "subject", "lapse_months", "description", "created"]
        read_only_fields = ["created"]
        validators = []  # uniqueness is the database's: a second one is a 409 naming it

    def __init__(self, *args, types=None, resources=None, **kwargs):
        super().__init__(*args, **kwargs)
        if types is not None:
            self.fields["resource_type"].queryset = types
            self.fields["resource"].queryset = resources
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["resource_type"].read_only = True
            self.fields["resource"].read_only = True


class TrainerSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.none())
    resource_type = serializers.PrimaryKeyRelatedField(queryset=ResourceType.objects.none())
    named_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Trainer
        fields = ["id", "user", "resource_type", "named_by", "created"]
        validators = []

    def __init__(self, *args, users=None, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        if users is not None:
            self.fields["user"].queryset = users
            self.fields["resource_type"].queryset = types


class QualificationSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.none())
    requirement = serializers.PrimaryKeyRelatedField(queryset=Requirement.objects.none())
    subject = serializers.CharField(source="requirement.subject", read_only=True)
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    state = serializers.SerializerMethodField(help_text="`valid`, `expired`, `lapsed` or `revoked`.")
    lapses_on = serializers.SerializerMethodField(
        help_text="The day it lapses unless used before (types with a lapse)."
    )

    class Meta:
        model = Qualification
        fields = [
            "id", "user", "requirement", "subject", "granted_by", "granted_at", "expires_on", "note", "state",
            "lapses_on", "revoked_at", "revoked_by", "revoke_reason",
        ]  # fmt: skip
        read_only_fields = ["granted_at", "revoked_at", "revoke_reason"]
        validators = []

    def __init__(self, *args, users=None, requirements=None, **kwargs):
        super().__init__(*args, **kwargs)
        if users is not None:
            self.fields["user"].queryset = users
            self.fields["requirement"].queryset = requirements

    def _standing(self, obj):
        cache = self.context.setdefault("_standing", {})
        if obj.pk not in cache:
            cache[obj.pk] = standing_of(obj, obj.requirement)
        return cache[obj.pk]

    def get_state(self, obj) -> str:
        if obj.revoked_at is not None:
            return "revoked"
        standing = self._standing(obj)
        return "valid" if standing.valid else standing.reason

    def get_lapses_on(self, obj) -> str | None:
        if obj.revoked_at is not None:
            return None
        lapses = self._standing(obj).lapses_on
        return lapses.isoformat() if lapses else None


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    cancel_upcoming = serializers.BooleanField(
        default=False, help_text="Cancel the holder's upcoming bookings that needed it (else they stay)."
    )


class RevokedSerializer(serializers.Serializer):
    qualification = QualificationSerializer()
    outcome = serializers.CharField(help_text="What happened to the holder's upcoming bookings.")


class TrainingRequestSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    requirement = serializers.PrimaryKeyRelatedField(queryset=Requirement.objects.none())
    subject = serializers.CharField(source="requirement.subject", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TrainingRequest
        fields = ["id", "user", "requirement", "subject", "message", "status", "created", "decided_at", "decided_by",
                  "reason"]  # fmt: skip
        read_only_fields = ["status", "created", "decided_at", "reason"]
        validators = []

    def __init__(self, *args, requirements=None, **kwargs):
        super().__init__(*args, **kwargs)
        if requirements is not None:
            self.fields["requirement"].queryset = requirements


class GrantSerializer(serializers.Serializer):
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Told to the person.")
