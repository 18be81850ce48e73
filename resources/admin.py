from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from audit.models import AuditEntry
from common.admin import ReadOnlyInline
from tenancy.access import is_global_admin
from tenancy.admin import ServiceBackedAdmin, offer_choices
from tenancy.models import Site as SiteModel

from . import selectors, services
from .models import Resource, ResourceStatus, ResourceType
from .tree import resource_ancestor_ids


def moved_bookings(request) -> str:
    """What a change of status moved elsewhere in this request (bookings and leases that take
    another machine), read back from the audit log the replacement wrote."""
    moved = list(
        AuditEntry.objects.filter(request_id=getattr(request, "request_id", "") or "-", action="reservation.replaced")
        .order_by("pk")
        .values_list("message", "object_repr")
    )
    if not moved:
        return ""
    said = ngettext(" %(n)d booking moved to another machine", " %(n)d bookings moved to other machines", len(moved))
    return said % {"n": len(moved)} + ": " + "; ".join(message or name for message, name in moved[:5]) + "."


offer_choices("resources.ResourceType", lambda user: selectors.visible_resource_types(user=user).select_related("site"))
offer_choices("resources.Resource", lambda user: selectors.visible_resources(user=user).select_related("site"))


class CatalogueAdmin(ServiceBackedAdmin):
    """Sites, types and resources: written through the catalogue's services."""


@admin.register(SiteModel)
class SiteAdmin(CatalogueAdmin):
    visible = staticmethod(selectors.visible_sites)
    list_display = ["name", "slug", "location", "time_zone", "resource_count"]
    search_fields = ["name", "slug", "location", "description"]
    prepopulated_fields = {"slug": ["name"]}
    create_service = staticmethod(services.site_create)
    update_service = staticmethod(services.site_update)
    delete_service = staticmethod(services.site_delete)
    instance_kwarg = "site"

    def site_id_of(self, obj):
        return obj.pk

    def has_add_permission(self, request):
        return is_global_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_global_admin(request.user)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_resource_count=Count("resources"))

    @admin.display(description="Resources", ordering="_resource_count")
    def resource_count(self, obj):
        return obj._resource_count


@admin.register(ResourceType)
class ResourceTypeAdmin(CatalogueAdmin):
    visible = staticmethod(selectors.visible_resource_types)
    list_display = ["name", "site", "swatch", "parameter_count", "resource_count"]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "description"]
    create_service = staticmethod(services.resource_type_create)
    update_service = staticmethod(services.resource_type_update)
    delete_service = staticmethod(services.resource_type_delete)
    instance_kwarg = "resource_type"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("site").annotate(_resource_count=Count("resources"))

    @admin.display(description="Color", ordering="color")
    def swatch(self, obj):
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;background:{};border:1px solid #999;'
            'vertical-align:middle"></span> {}',
            obj.color,
            obj.color,
        )

    @admin.display(description="Parameters")
    def parameter_count(self, obj):
        return len(obj.parameter_schema or [])

    @admin.display(description="Resources", ordering="_resource_count")
    def resource_count(self, obj):
        return obj._resource_count


class ChildrenInline(ReadOnlyInline):
    model = Resource
    fk_name = "parent"
    fields = ["name", "resource_type", "status"]
    show_change_link = True
    verbose_name = "sub-resource"
    verbose_name_plural = "sub-resources (add one by choosing this resource as its parent)"


@admin.register(Resource)
class ResourceAdmin(CatalogueAdmin):
    visible = staticmethod(selectors.visible_resources)
    list_display = ["name", "site", "resource_type", "status", "leaves_service_at", "parent", "location"]
    list_filter = [
        ("site", admin.RelatedOnlyFieldListFilter),
        ("resource_type", admin.RelatedOnlyFieldListFilter),
        "status",
    ]
    list_select_related = ["site", "resource_type", "parent"]
    search_fields = ["name", "description", "specs", "location", "attributes"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["tree_path", "elsewhere", "created", "updated"]
    fieldsets = [
        (None, {"fields": ["site", "resource_type", "name", "status", "parent", "tree_path", "elsewhere"]}),
        (
            "Leaving service",
            {
                "fields": ["leaves_service_at"],
                "description": "Drain: nothing is booked past this moment; bookings after it move to a matching "
                "resource (leases, and bookings that asked to) or are cancelled, their owners told; at it the "
                "resource goes into maintenance.",
            },
        ),
        ("Details", {"fields": ["description", "specs", "attributes", "location"]}),
        ("Fair use", {"fields": ["cleanup"], "description": "Empty: the type's cleanup time."}),
        ("History", {"fields": ["created", "updated"], "classes": ["collapse"]}),
    ]
    inlines = [ChildrenInline]
    actions = ["mark_active", "mark_maintenance", "mark_unavailable", "mark_unavailable_and_cancel"]
    create_service = staticmethod(services.resource_create)
    update_service = staticmethod(services.resource_update)
    delete_service = staticmethod(services.resource_delete)
    instance_kwarg = "resource"

    @admin.display(description="Elsewhere")
    def elsewhere(self, obj):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">calendar</a> · <a href="{}">its bookings</a> · <a href="{}">webhooks that fire for it</a>',
            reverse("resource-calendar", args=[obj.pk]),
            reverse("admin:reservations_reservation_changelist") + f"?resource__id__exact={obj.pk}",
            reverse("webhook-list") + f"?resource={obj.pk}",
        )

    @admin.display(description="Place in the tree")
    def tree_path(self, obj):
        if not obj.pk:
            return "-"
        ids = list(reversed(resource_ancestor_ids(obj.pk)))
        names = dict(Resource.objects.filter(pk__in=ids).values_list("pk", "name"))
        return format_html_join(
            " → ",
            '<a href="{}">{}</a>',
            ((reverse("admin:resources_resource_change", args=[pk]), names[pk]) for pk in ids),
        )

    def _set_status(self, request, queryset, status, cancel_future_bookings=False):
        label = ResourceStatus(status).label.lower()
        selected = list(queryset)
        changed = sum(r.status != status for r in selected)

        def said() -> str:
            text = (
                ngettext("%(n)d resource marked", "%(n)d resources marked", changed) % {"n": changed}
                + f" {label}"
                + (", their future bookings cancelled." if cancel_future_bookings else ".")
            )
            return text + moved_bookings(request)

        self.run_service(
            request,
            lambda: services.resource_bulk_status_set(
                actor=request.user, resources=selected, status=status, cancel_future_bookings=cancel_future_bookings
            ),
            said,
        )

    @admin.action(description="Mark selected resources unavailable and cancel their future bookings")
    def mark_unavailable_and_cancel(self, request, queryset):
        self._set_status(request, queryset, ResourceStatus.UNAVAILABLE, cancel_future_bookings=True)

    @admin.action(description="Mark selected resources active")
    def mark_active(self, request, queryset):
        self._set_status(request, queryset, ResourceStatus.ACTIVE)

    @admin.action(description="Mark selected resources in maintenance")
    def mark_maintenance(self, request, queryset):
        self._set_status(request, queryset, ResourceStatus.MAINTENANCE)

    @admin.action(description="Mark selected resources unavailable")
    def mark_unavailable(self, request, queryset):
        self._set_status(request, queryset, ResourceStatus.UNAVAILABLE)
