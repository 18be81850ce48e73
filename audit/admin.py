from django.contrib import admin

from common.admin import ReadOnlyAdminMixin
from tenancy.access import may_use_admin

from .models import AuditEntry
from .selectors import audit_entry_list


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the log is append-only, here as in the database."""

    list_display = ["timestamp", "actor_username", "action", "severity", "object_type", "object_repr", "site_id", "ip"]
    list_filter = ["category", "severity", "action"]
    search_fields = ["actor_username", "object_repr", "message", "request_id"]
    date_hierarchy = "timestamp"

    def get_queryset(self, request):
        return audit_entry_list(user=request.user)

    def has_module_permission(self, request):
        return may_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)
