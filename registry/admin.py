from django.contrib import admin

from common.admin import ReadOnlyAdminMixin, ReadOnlyInline
from tenancy.access import is_global_admin
from tenancy.admin import RoleScopedAdmin, ServiceBackedAdmin

from . import booking_templates, selectors, services
from .models import Allocation, AllocationConflict, AllocationHistory, AllocationTemplate, BookingTemplate


class HistoryInline(ReadOnlyInline):
    model = AllocationHistory
    fields = ["created", "action", "actor", "old_status", "new_status", "changes", "ip"]


@admin.register(Allocation)
class AllocationAdmin(RoleScopedAdmin):
    """Operators' view of the registry; changes go through the registry's services."""

    visible = staticmethod(selectors.allocation_list)
    list_display = [
        "resource_type",
        "resource_value",
        "environment",
        "owner_service",
        "status",
        "is_locked",
        "server_hostname",
        "expires_at",
        "booking",
    ]
    list_filter = ["resource_type", "status", "environment", "is_locked", ("site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["resource_name", "resource_value", "owner_service", "description", "notes"]
    readonly_fields = [f.name for f in Allocation._meta.fields]
    inlines = [HistoryInline]
    actions = ["release", "lock", "unlock"]

    def has_add_permission(self, request):
        return False  # allocate through the API, the registry page or the CLI (validation, conflicts)

    def has_delete_permission(self, request, obj=None):
        return False  # release instead: the record stays

    @admin.action(description="Release selected allocations")
    def release(self, request, queryset):
        self.run_each(
            request, queryset, lambda a: services.allocation_release(actor=request.user, allocation=a), "released"
        )

    @admin.action(description="Lock selected allocations")
    def lock(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a: services.allocation_set_lock(actor=request.user, allocation=a, locked=True),
            "locked",
        )

    @admin.action(description="Unlock selected allocations")
    def unlock(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a: services.allocation_set_lock(actor=request.user, allocation=a, locked=False),
            "unlocked",
        )


@admin.register(AllocationConflict)
class AllocationConflictAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created", "resource_type", "resource_value", "environment", "kind", "owner_service", "resolved_at"]
    list_filter = ["kind", "resource_type", "environment"]
    readonly_fields = [f.name for f in AllocationConflict._meta.fields]

    def get_queryset(self, request):
        return selectors.conflict_list(user=request.user)

    def has_module_permission(self, request):
        return RoleScopedAdmin.has_module_permission(self, request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(AllocationTemplate)
class AllocationTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "updated"]
    search_fields = ["name", "description"]

    def has_module_permission(self, request):
        return is_global_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_global_admin(request.user)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission

    def save_model(self, request, obj, form, change):
        template = type(obj).objects.get(pk=obj.pk) if change else None
        saved = services.template_save(
            actor=request.user, template=template, name=obj.name, specs=obj.specs, description=obj.description
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.template_delete(actor=request.user, template=obj)

    def delete_queryset(self, request, queryset):
        for template in queryset:
            services.template_delete(actor=request.user, template=template)


@admin.register(BookingTemplate)
class BookingTemplateAdmin(ServiceBackedAdmin):
    """Which allocations each booking of a type (or of one resource) gets for its duration."""

    visible = staticmethod(selectors.booking_templates_visible)
    list_display = ["template", "resource_type", "resource", "environment", "apply_at", "updated"]
    list_filter = ["apply_at", "environment", ("resource_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["template__name", "resource_type__name", "resource__name"]
    fields = ["template", "resource_type", "resource", "environment", "apply_at"]

    def site_id_of(self, obj):
        return booking_templates._site_id(obj)

    create_service = staticmethod(booking_templates.booking_template_create)
    update_service = staticmethod(booking_templates.booking_template_update)
    delete_service = staticmethod(booking_templates.booking_template_delete)
    instance_kwarg = "booking_template"
