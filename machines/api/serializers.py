from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from resources.models import ResourceType

from ..models import AtEnd, BookingUsage, MachineToken, UsagePolicy, UsageSample


class HolderSerializer(serializers.Serializer):
    booking = serializers.IntegerField()
    resource = serializers.CharField(help_text="The booked resource: this machine, a whole it is part of, or a part.")
    username = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    keys = serializers.ListField(child=serializers.CharField(), help_text="The holder's public SSH keys.")
    at_end = serializers.ChoiceField(choices=AtEnd.choices, help_text="At the end: end their sessions, or only warn.")
    warn_minutes = serializers.IntegerField(help_text="Warn their terminals this long before the end (0: never).")


class MachineStateSerializer(serializers.Serializer):
    resource = serializers.CharField()
    now = serializers.DateTimeField()
    holders = HolderSerializer(many=True, help_text="Confirmed bookings from now to a day ahead.")


class GpuSerializer(serializers.Serializer):
    index = serializers.IntegerField(min_value=0, max_value=255)
    uuid = serializers.CharField(max_length=80, required=False, allow_blank=True)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    utilization = serializers.FloatField(min_value=0, max_value=100, help_text="Per cent.")
    memory_used = serializers.IntegerField(min_value=0, help_text="MiB.")
    memory_total = serializers.IntegerField(min_value=0, help_text="MiB.")


class ForeignUseSerializer(serializers.Serializer):
    user = serializers.CharField(max_length=64)
    processes = serializers.IntegerField(min_value=1)
    commands = serializers.ListField(child=serializers.CharField(max_length=200), max_length=5, required=False)


class SampleInSerializer(serializers.Serializer):
    taken_at = serializers.DateTimeField()
    interval_seconds = serializers.IntegerField(min_value=1, max_value=600, default=60)
    logged_in = serializers.ListField(child=serializers.CharField(max_length=64), max_length=500, default=list)
    shared_account = serializers.CharField(
        max_length=64, required=False, allow_null=True, default=None,
        help_text="The one local account every holder uses, when the machine has one.",
    )  # fmt: skip
    load = serializers.FloatField(min_value=0)
    gpus = GpuSerializer(many=True, default=list)
    foreign = ForeignUseSerializer(many=True, default=list, help_text="Processes of users who hold no booking.")

    def validate_taken_at(self, value):
        """A machine whose clock is off must not end or check in bookings at the wrong time."""
        now = timezone.now()
        if value > now + timedelta(minutes=5):
            raise serializers.ValidationError("This is in the future by the server's clock: check the machine's.")
        if value < now - timedelta(minutes=settings.USAGE_SAMPLE_MAX_AGE_MINUTES):
            raise serializers.ValidationError(
                f"Older than {settings.USAGE_SAMPLE_MAX_AGE_MINUTES} minutes: samples are not accepted so late."
            )
        return value


class UsageSampleSerializer(serializers.ModelSerializer):
    resource_name = serializers.CharField(source="resource.name", read_only=True)

    class Meta:
        model = UsageSample
        fields = ["id", "resource", "resource_name", "taken_at", "interval", "logged_in", "load", "gpus", "foreign"]


class BookingUsageSerializer(serializers.ModelSerializer):
    resource = serializers.IntegerField(source="reservation.resource_id", read_only=True)
    resource_name = serializers.CharField(source="reservation.resource.name", read_only=True)
    owner = serializers.CharField(source="reservation.owner.username", read_only=True)
    booked_hours = serializers.SerializerMethodField()
    used_hours = serializers.SerializerMethodField()
    idle_share = serializers.FloatField(read_only=True, allow_null=True, help_text="Of the sampled time, 0 to 1.")
    gpu_hours_booked = serializers.FloatField(read_only=True)

    class Meta:
        model = BookingUsage
        fields = [
            "reservation", "resource", "resource_name", "owner", "first_login_at", "last_activity_at",
            "booked_hours", "used_hours", "idle_share", "gpus", "gpu_hours_booked", "gpu_hours_used",
            "idle_since", "idle_warned_at",
        ]  # fmt: skip

    def get_booked_hours(self, obj) -> float:
        return round((obj.reservation.end - obj.reservation.start) / timedelta(hours=1), 3)

    def get_used_hours(self, obj) -> float:
        return round(obj.active / timedelta(hours=1), 3)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["gpu_hours_used"] = round(instance.gpu_hours_used, 3)
        return data


class UsagePolicySerializer(serializers.ModelSerializer):
    resource_type = serializers.PrimaryKeyRelatedField(queryset=ResourceType.objects.none())

    class Meta:
        model = UsagePolicy
        fields = [
            "resource_type", "at_end", "warn_minutes", "auto_checkin", "idle_reclaim", "idle_minutes",
            "idle_gpu_percent", "idle_grace_minutes", "report_unreserved",
        ]  # fmt: skip

    def __init__(self, *args, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        if types is not None:
            self.fields["resource_type"].queryset = types
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["resource_type"].read_only = True


class MachineTokenSerializer(serializers.ModelSerializer):
    resource_name = serializers.CharField(source="resource.name", read_only=True)
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = MachineToken
        fields = ["id", "resource", "resource_name", "name", "prefix", "created", "last_seen_at", "revoked_at",
                  "revoked"]  # fmt: skip
        read_only_fields = ["prefix", "created", "last_seen_at", "revoked_at"]

    def get_revoked(self, obj) -> bool:
        return obj.revoked_at is not None


class NewMachineTokenSerializer(MachineTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret, shown in this answer only.")

    class Meta(MachineTokenSerializer.Meta):
        fields = [*MachineTokenSerializer.Meta.fields, "token"]
