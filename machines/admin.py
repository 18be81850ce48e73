from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from tenancy.access import administered_site_ids, scope_to_sites
from tenancy.admin import RoleScopedAdmin

from . import selectors, services
from .models import MachineToken


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
