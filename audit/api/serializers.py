from audit.models import AuditEntry
from common.api.serializers import ModelSerializer


class AuditEntrySerializer(ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "timestamp",
            "actor_id",
            "actor_username",
            "action",
            "category",
            "severity",
            "object_type",
            "object_id",
            "object_repr",
            "site_id",
            "changes",
            "message",
            "ip",
            "user_agent",
            "request_id",
        ]
        read_only_fields = fields
