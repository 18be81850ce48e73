"""What quotas apply to you and how much of them you used."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from reservations.policies import quotas


class QuotaUsageSerializer(serializers.Serializer):
    rule = serializers.IntegerField(source="rule.pk")
    site = serializers.IntegerField(source="rule.site_id")
    resource_type = serializers.IntegerField(source="rule.resource_type_id", allow_null=True)
    group = serializers.CharField(
        source="rule.group.name", allow_null=True, default=None, help_text="The team whose bookings count together."
    )
    scope = serializers.CharField(help_text='What the rule counts, e.g. "GPU at Berlin Lab".')
    period = serializers.CharField(source="rule.period")
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    max_hours = serializers.DecimalField(source="rule.max_hours", max_digits=7, decimal_places=2, allow_null=True)
    used_hours = serializers.FloatField(help_text="Hours booked in the current period.")
    max_concurrent = serializers.IntegerField(source="rule.max_concurrent", allow_null=True)
    max_future = serializers.IntegerField(source="rule.max_future", allow_null=True)
    ahead = serializers.IntegerField(help_text="Your bookings that have not ended yet.")
    exempt = serializers.BooleanField(help_text="True for site administrators when QUOTA_EXEMPT_ADMINS is set.")


@extend_schema(responses={200: QuotaUsageSerializer(many=True)})
@api_view(["GET"])
def my_quotas(request):
    """The quota rules of your sites, with your usage in the current day, week or month."""
    return Response(QuotaUsageSerializer(quotas.usage(user=request.user), many=True).data)
