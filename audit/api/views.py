from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.csv_export import stream_csv
from audit.filters import AuditEntryFilter
from audit.selectors import audit_counts, audit_entry_list
from common.api.conditional import ConditionalObjectMixin

from .serializers import AuditEntrySerializer


class AuditEntryViewSet(ConditionalObjectMixin, viewsets.ReadOnlyModelViewSet):
    """The append-only audit log, read-only. Global administrators see everything, site
    administrators their sites' entries, everyone their own."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    ordering_fields = ["timestamp", "action", "severity"]

    def get_queryset(self):
        return audit_entry_list(user=self.request.user)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        """The filtered entries as CSV (same filters as the list)."""
        return stream_csv(self.filter_queryset(self.get_queryset()))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def summary(self, request):
        """Counts per category and severity of the filtered entries."""
        return Response(audit_counts(self.filter_queryset(self.get_queryset())))
