from django import forms
from django.contrib import admin

from resources.models import ResourceType
from tenancy.access import administered_site_ids, scope_to_sites
from tenancy.admin import RoleScopedAdmin
from tenancy.models import Site

from . import selectors, services
from .models import Adjustment, Budget, Charge, Project, ProjectMember, Rate, SiteBilling


def _first_site(project: Project) -> int | None:
    return project.sites.order_by("pk").values_list("pk", flat=True).first()


def _delete_each(admin_, request, queryset):
    for obj in queryset:
        admin_.delete_model(request, obj)


@admin.register(Project)
class ProjectAdmin(RoleScopedAdmin):
    """Projects that pay for bookings; opened and changed through billing.services."""

    visible = staticmethod(selectors.project_list)
    list_display = ["code", "name", "pi", "price_group", "status", "starts_on", "ends_on"]
    list_filter = ["status", "price_group", ("sites", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name", "pi__username", "pi__last_name"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "sites":  # only sites this operator administers
            kwargs["queryset"] = scope_to_sites(Site.objects.all(), administered_site_ids(request.user), "pk")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        return ["name", "status", "price_group", "ends_on"] if obj else [
            "name", "code", "pi", "sites", "price_group", "status", "starts_on", "ends_on",
        ]  # fmt: skip

    def site_id_of(self, obj) -> int | None:
        return _first_site(obj)

    def has_delete_permission(self, request, obj=None):
        return False  # closed, never deleted: its charges stay

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.project_update(
                actor=request.user, project=obj, **{f: data[f] for f in services.PROJECT_FIELDS if f in data}
            )
        else:
            saved = services.project_create(actor=request.user, **data)
        obj.pk, obj._state.adding = saved.pk, False

    def save_related(self, request, form, formsets, change):
        pass  # the service set the sites


@admin.register(ProjectMember)
class ProjectMemberAdmin(RoleScopedAdmin):
    visible = staticmethod(selectors.member_list)
    list_display = ["project", "user", "is_default", "added"]
    list_filter = ["is_default"]
    search_fields = ["project__code", "user__username"]
    fields = ["project", "user"]

    def site_id_of(self, obj) -> int | None:
        return _first_site(obj.project)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "project":
            field.queryset = selectors.project_list(user=request.user)
        return field

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = services.member_add(
            actor=request.user, project=form.cleaned_data["project"], user=form.cleaned_data["user"]
        )
        obj.pk, obj._state.adding = saved.pk, False

    def delete_model(self, request, obj):
        services.member_remove(actor=request.user, member=obj)

    def delete_queryset(self, request, queryset):
        _delete_each(self, request, queryset)


@admin.register(Budget)
class BudgetAdmin(RoleScopedAdmin):
    visible = staticmethod(selectors.budget_list)
    list_display = ["project", "resource_type", "period", "hours"]
    list_filter = ["period", ("resource_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["project__code", "resource_type__name"]
    fields = ["project", "resource_type", "period", "hours"]

    def site_id_of(self, obj) -> int | None:
        return _first_site(obj.project)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "project":
            field.queryset = selectors.project_list(user=request.user)
        return field

    def has_delete_permission(self, request, obj=None):
        return False  # set it to the hours wanted; the audit keeps each limit

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.budget_save(
            actor=request.user,
            project=obj.project if change else data["project"],
            resource_type=obj.resource_type if change else data["resource_type"],
            period=obj.period if change else data["period"],
            hours=data["hours"],
        )
        obj.pk, obj._state.adding = saved.pk, False

    def get_readonly_fields(self, request, obj=None):
        return ["project", "resource_type", "period"] if obj else []


class RateForm(forms.ModelForm):
    class Meta:
        model = Rate
        fields = ["resource_type", "price_group", *services.RATE_FIELDS]


@admin.register(Rate)
class RateAdmin(RoleScopedAdmin):
    visible = staticmethod(selectors.rate_list)
    form = RateForm
    list_display = ["resource_type", "price_group", "per_hour", "minimum_hours", "late_cancel_hours",
                    "late_cancel_percent", "no_show_percent", "charge_actual_use"]  # fmt: skip
    list_filter = ["price_group", "charge_actual_use"]
    search_fields = ["resource_type__name"]

    def site_id_of(self, obj) -> int | None:
        return obj.resource_type.site_id

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "resource_type":
            field.queryset = scope_to_sites(ResourceType.objects.all(), administered_site_ids(request.user))
        return field

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["resource_type", "price_group"] if obj else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.rate_save(
            actor=request.user,
            resource_type=obj.resource_type if change else data["resource_type"],
            price_group=obj.price_group if change else data["price_group"],
            **{f: data[f] for f in services.RATE_FIELDS},
        )
        obj.pk, obj._state.adding = saved.pk, False


@admin.register(SiteBilling)
class SiteBillingAdmin(RoleScopedAdmin):
    visible = staticmethod(
        lambda user: scope_to_sites(SiteBilling.objects.select_related("site"), administered_site_ids(user))
    )
    list_display = ["site", "project_required"]
    list_filter = ["project_required"]
    search_fields = ["site__name"]
    fields = ["site", "project_required"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["site"] if obj else []

    def save_model(self, request, obj, form, change):
        saved = services.site_billing_save(
            actor=request.user, site=obj.site if change else form.cleaned_data["site"],
            project_required=form.cleaned_data["project_required"],
        )  # fmt: skip
        obj.pk, obj._state.adding = saved.pk, False


@admin.register(Charge)
class ChargeAdmin(RoleScopedAdmin):
    """The ledger: read only. Corrections are adjustments."""

    visible = staticmethod(selectors.charge_list)
    list_display = ["start", "project", "resource_name", "owner", "hours", "rule", "per_hour", "amount"]
    list_filter = ["rule", "price_group", ("site", admin.RelatedOnlyFieldListFilter),
                   ("resource_type", admin.RelatedOnlyFieldListFilter), "start"]  # fmt: skip
    search_fields = ["project__code", "resource_name", "owner__username"]
    list_select_related = ["project", "owner"]
    date_hierarchy = "start"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Adjustment)
class AdjustmentAdmin(RoleScopedAdmin):
    visible = staticmethod(selectors.adjustment_list)
    list_display = ["charge", "hours", "amount", "reason", "status", "requested_by", "decided_by"]
    list_filter = ["status", ("charge__site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["reason", "charge__project__code", "requested_by__username"]
    readonly_fields = ["charge", "hours", "amount", "reason", "status", "requested_by", "decided_by", "decided_at",
                       "decision_reason"]  # fmt: skip
    actions = ["approve", "reject"]

    def site_id_of(self, obj) -> int | None:
        return obj.charge.site_id

    def has_add_permission(self, request):
        return False  # asked for by members, through the API

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Approve the selected corrections")
    def approve(self, request, queryset):
        self.run_each(request, queryset, lambda a: services.adjustment_decide(actor=request.user, adjustment=a,
                                                                              approve=True), "approved")  # fmt: skip

    @admin.action(description="Reject the selected corrections")
    def reject(self, request, queryset):
        self.run_each(request, queryset, lambda a: services.adjustment_decide(actor=request.user, adjustment=a,
                                                                              approve=False), "rejected")  # fmt: skip
