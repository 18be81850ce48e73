"""Admin plumbing: operators' screens follow the same roles, scoping and services as the API."""

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field, display_for_value, label_for_field, lookup_field
from django.http import HttpResponse
from django.utils.html import strip_tags

from accounts.access import administered_site_ids, can_admin_site, is_global_admin, may_use_admin, scope_to_sites
from common.errors import REFUSALS, refusal_for
from resources import selectors as catalogue
from resources.models import Site

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


class RoleScopedAdmin(admin.ModelAdmin):
    """Global administrators see everything; site administrators see what their sites may see
    (`visible` selector) and change what belongs to the sites they administer (`site_id_of`)."""

    visible = None  # staticmethod(selector(user=...)) in subclasses
    global_only = False  # only global administrators add, change or delete

    def site_id_of(self, obj) -> int | None:
        return obj.site_id

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices are what this operator may use: sites they administer, types, resources and
        # webhooks they see; nothing of another site is offered (or named) in a form.

        user = request.user
        if db_field.name == "site":
            kwargs["queryset"] = scope_to_sites(Site.objects.all(), administered_site_ids(user), "pk")
        elif db_field.name == "resource_type":
            kwargs["queryset"] = catalogue.visible_resource_types(user=user).select_related("site")
        elif db_field.name in ("resource", "parent") and db_field.related_model._meta.label == "resources.Resource":
            kwargs["queryset"] = catalogue.visible_resources(user=user).select_related("site")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        queryset = self.visible(user=request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def has_module_permission(self, request):
        return may_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        if self.global_only:
            return is_global_admin(request.user)
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        if self.global_only:
            return is_global_admin(request.user)
        if obj is None:
            return self.has_module_permission(request)
        return can_admin_site(request.user, self.site_id_of(obj))

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def run_service(self, request, call, success: str) -> None:
        """For admin actions: report a refused or conflicting change as a message, not an error page."""
        try:
            call()
        except REFUSALS as exc:
            self.message_user(request, refusal_for(exc).message, messages.ERROR)
        else:
            self.message_user(request, success, messages.SUCCESS)

    def run_each(self, request, objects, call, verb: str) -> None:
        """An admin action over several objects: each refused one is named with the reason, the
        others go through."""
        done = 0
        for obj in objects:
            try:
                call(obj)
            except REFUSALS as exc:
                self.message_user(request, f"{obj}: {refusal_for(exc).message}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{done} {self.model._meta.verbose_name_plural} {verb}.")


class ServiceBackedAdmin(RoleScopedAdmin):
    """Saves and deletes go through the app's services."""

    create_service = update_service = delete_service = None  # staticmethod(service) in subclasses
    instance_kwarg = ""

    def _model_fields(self, form) -> dict:
        names = {f.name for f in self.model._meta.get_fields() if getattr(f, "concrete", False)}
        return {name: value for name, value in form.cleaned_data.items() if name in names}

    def save_model(self, request, obj, form, change):
        if change:
            fresh = type(obj).objects.get(pk=obj.pk)
            fields = self._model_fields(form)
            changes = {name: fields[name] for name in form.changed_data if name in fields}
            self.update_service(actor=request.user, **{self.instance_kwarg: fresh}, **changes)
        else:
            created = self.create_service(actor=request.user, **self._model_fields(form))
            obj.pk = created.pk
            obj._state.adding = False
            obj._state.db = created._state.db

    def delete_model(self, request, obj):
        self.delete_service(actor=request.user, **{self.instance_kwarg: obj})

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


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
