"""Admin plumbing: operators' screens follow the same roles, scoping and services as the API."""

from django.contrib import admin
from django.contrib.admin.utils import display_for_field, display_for_value, label_for_field, lookup_field
from django.http import HttpResponse
from django.utils.html import strip_tags

from . import spreadsheet


@admin.action(description="Export selected rows as CSV")
def export_as_csv(modeladmin, request, queryset):
    """Every changelist: the selected rows with the columns the list shows (what the operator sees)."""
    columns = [name for name in modeladmin.get_list_display(request) if name != "action_checkbox"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{queryset.model._meta.model_name}s.csv"'
    writer = spreadsheet.writer(response)
    writer.writerow(
        [strip_tags(str(label_for_field(name, queryset.model, modeladmin))).capitalize() for name in columns]
    )
    for obj in queryset:
        row = []
        for name in columns:
            field, _, value = lookup_field(name, obj, modeladmin)
            shown = display_for_field(value, field, "") if field is not None else display_for_value(value, "")
            row.append(strip_tags(str(shown)))
        writer.writerow(row)
    return response


admin.site.add_action(export_as_csv, "export_csv")
admin.site.site_header = "Reservoir operators' console"
admin.site.site_title = "Reservoir admin"
admin.site.index_title = "Sites, resources, bookings, webhooks and the registry"
admin.site.site_url = "/"  # "View site" leads back to the app


class ReadOnlyAdminMixin:
    """Records kept as they happened (audit, outbox, notifications, conflicts): looked at, never
    added, changed or deleted from the console."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Related rows shown for context (children, history, attempts): never edited from here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # the parent's admin already decided who sees this page
