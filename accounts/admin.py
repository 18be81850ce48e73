from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils.translation import ngettext

from audit.models import Severity
from common.admin import ReadOnlyInline
from common.events import publish, snapshot
from tenancy.access import is_global_admin
from tenancy.admin import RoleScopedAdmin, offer_choices
from tenancy.models import Membership

from . import selectors, services
from .models import ApiToken, Profile, SshKey

# People an operator may pick in any admin form (a trainer, a project's PI or member): those of the
# sites they administer, never another site's.
offer_choices(get_user_model()._meta.label, lambda user: selectors.user_list(user=user))

User = get_user_model()


@admin.register(Membership)
class MembershipAdmin(RoleScopedAdmin):
    visible = staticmethod(selectors.membership_list)
    list_display = ["user", "site", "role", "source", "updated"]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter), "role", "source"]
    search_fields = ["user__username", "user__email", "site__name"]
    fields = ["site", "user", "role"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        return ["site", "user"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not is_global_admin(request.user):
            # Site administrators may not list people (the user autocomplete is global administrators'):
            # they type a username in full, as on the Users page.
            return forms.ModelChoiceField(
                queryset=User.objects.filter(is_active=True),
                to_field_name="username",
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
                label="Username",
                help_text="The person's username, typed in full.",
                error_messages={"invalid_choice": "No active user has this username."},
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        saved = services.membership_set(actor=request.user, site=obj.site, user=obj.user, role=obj.role)
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.membership_remove(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.membership_remove(actor=request.user, membership=membership)


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ["site", "role", "source"]
    show_change_link = True


class ProfileInline(admin.StackedInline):
    model = Profile
    fields = ["time_zone", "oidc_subject"]
    readonly_fields = ["oidc_subject"]
    can_delete = False


class SshKeyInline(ReadOnlyInline):
    model = SshKey
    fields = ["label", "key_type", "bits", "fingerprint", "created"]


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(Group)
class TeamAdmin(admin.ModelAdmin):
    """Groups are teams that quota rules may count together (Keycloak's /teams/... arrive by
    themselves); access comes from site memberships, so no Django permissions here."""

    list_display = ["name", "member_count"]
    search_fields = ["name", "user__username"]
    fields = ["name"]

    def has_module_permission(self, request):
        return is_global_admin(request.user)

    has_view_permission = has_change_permission = has_add_permission = has_delete_permission = (
        lambda self, request, obj=None: is_global_admin(request.user)
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_members=Count("user"))

    @admin.display(description="Members", ordering="_members")
    def member_count(self, obj):
        return obj._members


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Global administrators only (Django's own permissions); site administrators manage members
    through memberships and the Users page."""

    inlines = [ProfileInline, MembershipInline, SshKeyInline]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_superuser", "last_login"]

    def has_module_permission(self, request):
        return is_global_admin(request.user)

    has_view_permission = has_change_permission = has_add_permission = lambda self, request, obj=None: is_global_admin(
        request.user
    )

    def save_model(self, request, obj, form, change):
        before = snapshot(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        publish(
            "user.updated" if change else "user.created",
            actor=request.user,
            instance=obj,
            site_id=None,
            before=before,
            after=snapshot(obj),
            severity=Severity.WARNING if change and before.get("is_superuser") != obj.is_superuser else Severity.INFO,
        )

    def delete_model(self, request, obj):
        publish(
            "user.deleted", actor=request.user, instance=obj, site_id=None, before=snapshot(obj), severity="warning"
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    fields = ["user", "name", "prefix", "created", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_module_permission(self, request):
        return is_global_admin(request.user)

    has_view_permission = has_change_permission = lambda self, request, obj=None: is_global_admin(request.user)

    def has_add_permission(self, request):
        return False  # tokens are made by their owner, who is the only one to see the secret

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the record stays

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(actor=request.user, token=token)
        count = queryset.count()
        self.message_user(request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", count) % {"n": count})
