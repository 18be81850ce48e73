from django.contrib.auth import get_user_model
from rest_framework import serializers

from common.api.fields import ObjectIdField
from resources.models import ResourceType
from tenancy.models import Site

from ..models import Adjustment, Budget, Charge, Project, ProjectMember, Rate
from ..periods import MONTH


class ProjectSerializer(serializers.ModelSerializer):
    pi = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.none())
    sites = serializers.PrimaryKeyRelatedField(many=True, queryset=Site.objects.none())

    class Meta:
        model = Project
        fields = ["id", "name", "code", "pi", "sites", "price_group", "status", "starts_on", "ends_on", "created"]
        read_only_fields = ["created"]
        validators = []

    def __init__(self, *args, users=None, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        if users is not None:
            self.fields["pi"].queryset = users
            self.fields["sites"].child_relation.queryset = sites
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in ("pi", "sites", "code", "starts_on"):
                self.fields[name].read_only = True


class MemberSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.none())
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.none())

    class Meta:
        model = ProjectMember
        fields = ["id", "project", "user", "is_default", "added"]
        read_only_fields = ["is_default", "added"]
        validators = []

    def __init__(self, *args, users=None, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        if users is not None:
            self.fields["user"].queryset = users
            self.fields["project"].queryset = projects


class BudgetSerializer(serializers.ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.none())
    resource_type = serializers.PrimaryKeyRelatedField(queryset=ResourceType.objects.none())

    class Meta:
        model = Budget
        fields = ["id", "project", "resource_type", "period", "hours"]
        validators = []

    def __init__(self, *args, projects=None, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        if projects is not None:
            self.fields["project"].queryset = projects
            self.fields["resource_type"].queryset = types


class BudgetStateSerializer(serializers.Serializer):
    budget = serializers.IntegerField(source="budget.pk")
    resource_type = serializers.CharField(source="budget.resource_type.name")
    period = serializers.CharField(help_text="The current period, e.g. December 2026.")
    hours = serializers.DecimalField(source="budget.hours", max_digits=9, decimal_places=2)
    used = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="Charged hours.")
    committed = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="Booked, not yet charged.")
    remaining = serializers.DecimalField(max_digits=9, decimal_places=2)


class RateSerializer(serializers.ModelSerializer):
    resource_type = serializers.PrimaryKeyRelatedField(queryset=ResourceType.objects.none())

    class Meta:
        model = Rate
        fields = [
            "id", "resource_type", "price_group", "per_hour", "minimum_hours", "rounding_minutes",
            "late_cancel_hours", "late_cancel_percent", "no_show_percent", "charge_actual_use",
            "booked_share_percent",
        ]  # fmt: skip
        validators = []

    def __init__(self, *args, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        if types is not None:
            self.fields["resource_type"].queryset = types


class ChargeSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True)

    class Meta:
        model = Charge
        fields = [
            "id", "reservation", "project", "project_code", "site", "resource_type", "resource_name", "owner",
            "start", "end", "hours", "price_group", "per_hour", "amount", "rule", "detail", "created",
        ]  # fmt: skip
        read_only_fields = fields


class AdjustmentSerializer(serializers.ModelSerializer):
    charge = serializers.PrimaryKeyRelatedField(queryset=Charge.objects.none())
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Adjustment
        fields = ["id", "charge", "hours", "amount", "reason", "status", "requested_by", "requested_at",
                  "decided_by", "decided_at", "decision_reason"]  # fmt: skip
        read_only_fields = ["status", "requested_at", "decided_at", "decision_reason"]

    def __init__(self, *args, charges=None, **kwargs):
        super().__init__(*args, **kwargs)
        if charges is not None:
            self.fields["charge"].queryset = charges


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class BookingProjectSerializer(serializers.Serializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.none())

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        if projects is not None:
            self.fields["project"].queryset = projects


class ChargeLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reservation = serializers.IntegerField()
    resource_name = serializers.CharField()
    owner = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    hours = serializers.DecimalField(max_digits=9, decimal_places=2)
    rule = serializers.CharField()
    per_hour = serializers.DecimalField(max_digits=9, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    detail = serializers.CharField()


class AdjustmentLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    charge = serializers.IntegerField()
    decided_at = serializers.DateTimeField()
    hours = serializers.DecimalField(max_digits=9, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField()


class StatementSerializer(serializers.Serializer):
    """Documents the statement's shape; the view writes its lines directly (10,000 of them)."""

    project = serializers.IntegerField()
    code = serializers.CharField()
    month = serializers.CharField(help_text="YYYY-MM")
    charges = ChargeLineSerializer(many=True)
    adjustments = AdjustmentLineSerializer(many=True)
    charged = serializers.DecimalField(max_digits=14, decimal_places=2)
    charged_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    adjusted = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class MonthQuerySerializer(serializers.Serializer):
    month = serializers.RegexField(MONTH, help_text="YYYY-MM")


class UsageQuerySerializer(serializers.Serializer):
    first = serializers.RegexField(MONTH, help_text="The first month, YYYY-MM.")
    last = serializers.RegexField(MONTH, help_text="The last month (inclusive), YYYY-MM.")
    site = ObjectIdField(required=False)
    resource_type = ObjectIdField(required=False)
    project = ObjectIdField(required=False)


class UsageTypeRowSerializer(serializers.Serializer):
    project = serializers.IntegerField(source="project_id")
    code = serializers.CharField()
    resource_type = serializers.CharField(source="resource_type_name")
    bookings = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=14, decimal_places=2, source="hours_sum")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, source="amount_sum")


class UsageProjectSerializer(serializers.Serializer):
    project = serializers.IntegerField(source="project_id")
    code = serializers.CharField()
    name = serializers.CharField()
    pi = serializers.CharField(help_text="The PI's user name.")
    price_group = serializers.CharField(source="group")
    bookings = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Charged hours with corrections.")
    charged = serializers.DecimalField(max_digits=16, decimal_places=2)
    adjusted = serializers.DecimalField(max_digits=16, decimal_places=2)
    total = serializers.DecimalField(max_digits=16, decimal_places=2)


class UsagePiSerializer(serializers.Serializer):
    pi = serializers.CharField()
    projects = serializers.IntegerField()
    bookings = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=16, decimal_places=2)


class UsageSerializer(serializers.Serializer):
    first = serializers.CharField()
    last = serializers.CharField()
    by_type = UsageTypeRowSerializer(many=True, source="rows")
    by_project = UsageProjectSerializer(many=True)
    by_pi = UsagePiSerializer(many=True)
