from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import ngettext

from common.errors import REFUSALS
from common.web.forms import add_refusal
from reservations.policies import blackouts, quotas, waitlist
from reservations.policies.models import Blackout, QuotaRule, WaitlistEntry
from tenancy.access import administered_site_ids
from tenancy.admin import RoleScopedAdmin, ServiceBackedAdmin


@admin.register(QuotaRule)
class QuotaRuleAdmin(ServiceBackedAdmin):
    visible = staticmethod(quotas.quota_rules_administered)
    list_display = ["site", "resource_type", "group", "period", "max_hours", "max_concurrent", "max_future", "updated"]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter), "period"]
    search_fields = ["site__name", "resource_type__name", "group__name"]
    fields = ["site", "resource_type", "group", "period", "max_hours", "max_concurrent", "max_future"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "group":
            # Teams with people at the operator's sites: no other site's team names are offered.
            sites = administered_site_ids(request.user)
            groups = Group.objects.order_by("name")
            if sites is not None:
                groups = groups.filter(user__memberships__site_id__in=sites).distinct()
            kwargs["queryset"] = groups
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    create_service = staticmethod(quotas.quota_rule_create)
    update_service = staticmethod(quotas.quota_rule_update)
    delete_service = staticmethod(quotas.quota_rule_delete)
    instance_kwarg = "quota_rule"


class BlackoutAdminForm(forms.ModelForm):
    """The service is the validation: clean() lays the blackout (inside the admin's transaction);
    its refusal (bookings inside, naming the first) becomes the form's error."""

    actor = None  # set by BlackoutAdmin.get_form
    cancel_bookings = forms.BooleanField(
        required=False,
        help_text="Cancel the bookings that fall in it (their owners are told why); unchecked, they refuse it.",
    )

    class Meta:
        model = Blackout
        fields = ["site", "resource", "start", "end", "rrule", "reason"]

    def _post_clean(self):
        pass  # the model's checks run in the service

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        values = {name: cleaned.get(name) for name in self.Meta.fields}
        try:
            with transaction.atomic():
                self.saved, cancelled = blackouts.blackout_create(
                    actor=self.actor, cancel_bookings=cleaned.get("cancel_bookings", False), **values
                )
                self.cancelled = len(cancelled)
        except REFUSALS as exc:
            add_refusal(self, exc)
        return cleaned

    def save(self, commit=True):
        return self.saved

    def save_m2m(self):
        pass


@admin.register(Blackout)
class BlackoutAdmin(RoleScopedAdmin):
    """Laid and removed, not edited: a changed window is a new blackout (so the bookings it
    covers are checked again)."""

    visible = staticmethod(blackouts.blackouts_administered)
    form = BlackoutAdminForm
    list_display = ["reason", "site", "resource", "start", "end", "rrule", "period_count", "created_by"]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["reason", "resource__name", "site__name"]
    date_hierarchy = "start"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return ["site", "resource", "start", "end", "rrule", "reason"] if obj else []

    @admin.display(description="Periods")
    def period_count(self, obj):
        return obj.periods.count()

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk
        obj._state.adding = False
        if getattr(form, "cancelled", 0):
            said = ngettext("%(n)d booking cancelled", "%(n)d bookings cancelled", form.cancelled)
            self.message_user(request, said % {"n": form.cancelled} + "; their owners were told.")

    def delete_model(self, request, obj):
        blackouts.blackout_delete(actor=request.user, blackout=obj)

    def delete_queryset(self, request, queryset):
        for blackout in queryset:
            blackouts.blackout_delete(actor=request.user, blackout=blackout)


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(RoleScopedAdmin):
    """Who waits for what, and what happened when it freed; removed through the service."""

    visible = staticmethod(waitlist.waitlist_visible)
    list_display = ["user", "resource", "start", "end", "auto_book", "status", "booking", "created"]
    list_filter = ["status", "auto_book", ("resource__site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "resource__name", "note"]
    readonly_fields = ["user", "resource", "start", "end", "auto_book", "status", "booking", "note", "resolved_at"]
    actions = ["remove_from_list"]

    def site_id_of(self, obj):
        return obj.resource.site_id

    def has_add_permission(self, request):
        return False  # people join from the pages or the API, where the slot is checked

    def has_delete_permission(self, request, obj=None):
        return False  # "remove" keeps the entry, marked left

    @admin.action(description="Remove selected entries from the waitlist")
    def remove_from_list(self, request, queryset):
        self.run_each(request, queryset, lambda e: waitlist.leave(actor=request.user, entry=e), "removed")
