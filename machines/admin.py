from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from resources.models import ResourceType
from tenancy.access import administered_site_ids, scope_to_sites
from tenancy.admin import RoleScopedAdmin

from . import selectors, services
from .models import BookingUsage, MachineToken, UsagePolicy, UsageSample


class MachineTokenForm(forms.ModelForm):
    class Meta:
        model = MachineToken
        fields = ["resource", "name"]


@admin.register(MachineToken)
class MachineTokenAdmin(RoleScopedAdmin):
    """Writes go through the services: a new token's secret is shown once; revoking keeps the record."""

    visible = staticmethod(selectors.machine_token_list)
    form = MachineTokenForm
    list_display = ["name", "resource", "prefix", "created", "last_seen_at", "state"]
    list_filter = [("resource__site", admin.RelatedOnlyFieldListFilter), "revoked_at"]
    search_fields = ["name", "resource__name", "prefix"]
    actions = ["revoke"]

    def site_id_of(self, obj) -> int | None:
        return obj.resource.site_id

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "resource":  # only machines of the sites this operator administers
            field.queryset = scope_to_sites(field.queryset, administered_site_ids(request.user))
        return field

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the record of who could read what stays

    def get_readonly_fields(self, request, obj=None):
        return ["resource", "name", "prefix", "created", "last_seen_at", "revoked_at"] if obj else []

    @admin.display(description="State")
    def state(self, obj):
        return "revoked" if obj.revoked_at else "in use" if obj.last_seen_at else "not used yet"

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, secret = services.machine_token_create(
            actor=request.user, resource=form.cleaned_data["resource"], name=form.cleaned_data["name"]
        )
        obj.pk = token.pk
        self.message_user(
            request,
            format_html(
                "The agent's token, shown only now: <code>{}</code>. Put it in /etc/reservoir-agent.conf.", secret
            ),
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        self.run_each(
            request, queryset, lambda t: services.machine_token_revoke(actor=request.user, token=t), "revoked"
        )


class UsagePolicyForm(forms.ModelForm):
    class Meta:
        model = UsagePolicy
        fields = ["resource_type", *services.policies.FIELDS]


@admin.register(UsagePolicy)
class UsagePolicyAdmin(RoleScopedAdmin):
    """Per resource type: what the agents do at the end, and the policies that read real use."""

    visible = staticmethod(selectors.usage_policy_list)
    form = UsagePolicyForm
    list_display = ["resource_type", "at_end", "warn_minutes", "auto_checkin", "idle_reclaim", "report_unreserved"]
    list_filter = ["at_end", "auto_checkin", "idle_reclaim", "report_unreserved"]
    search_fields = ["resource_type__name"]

    def site_id_of(self, obj) -> int | None:
        return obj.resource_type.site_id

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "resource_type":
            field.queryset = scope_to_sites(ResourceType.objects.all(), administered_site_ids(request.user))
        return field

    def get_readonly_fields(self, request, obj=None):
        return ["resource_type"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # turn each policy off instead: the audit keeps one history per type

    def save_model(self, request, obj, form, change):
        values = {field: form.cleaned_data[field] for field in services.policies.FIELDS}
        saved = services.usage_policy_save(actor=request.user, resource_type=obj.resource_type, **values)
        obj.pk = saved.pk


class ReadOnlyAdmin(RoleScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BookingUsage)
class BookingUsageAdmin(ReadOnlyAdmin):
    """What each booking's time was used for, summed from its machine's samples."""

    visible = staticmethod(selectors.usage_list)
    list_display = ["reservation", "owner", "first_login_at", "last_activity_at", "used", "idle", "gpu_hours"]
    list_filter = [("reservation__resource__site", admin.RelatedOnlyFieldListFilter), "reservation__release_reason"]
    search_fields = ["reservation__resource__name", "reservation__owner__username"]
    list_select_related = ["reservation__resource", "reservation__owner"]

    def site_id_of(self, obj) -> int | None:
        return obj.reservation.resource.site_id

    @admin.display(description="Owner")
    def owner(self, obj):
        return obj.reservation.owner.username

    @admin.display(description="Used (h)")
    def used(self, obj):
        return round(obj.active.total_seconds() / 3600, 2)

    @admin.display(description="Idle share")
    def idle(self, obj):
        return "-" if obj.idle_share is None else f"{obj.idle_share:.0%}"

    @admin.display(description="GPU-hours used / booked")
    def gpu_hours(self, obj):
        return f"{obj.gpu_hours_used:.2f} / {obj.gpu_hours_booked:.2f}"


@admin.register(UsageSample)
class UsageSampleAdmin(ReadOnlyAdmin):
    """The machines' samples, one a minute, kept USAGE_RETENTION_DAYS."""

    visible = staticmethod(selectors.usage_samples)
    list_display = ["resource", "taken_at", "logged_in", "load", "gpu_busy", "foreign_users"]
    list_filter = [("resource__site", admin.RelatedOnlyFieldListFilter), ("resource", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["resource__name"]
    date_hierarchy = "taken_at"

    def site_id_of(self, obj) -> int | None:
        return obj.resource.site_id

    @admin.display(description="Busiest GPU (%)")
    def gpu_busy(self, obj):
        return obj.gpu_busy

    @admin.display(description="Without a booking")
    def foreign_users(self, obj):
        return ", ".join(entry.get("user", "?") for entry in obj.foreign) or "-"
