from django import forms
from django.contrib import admin

from resources.models import Resource, ResourceType
from tenancy.access import administered_site_ids, scope_to_sites
from tenancy.admin import RoleScopedAdmin

from . import selectors, services
from .access import decided_by_q
from .models import Qualification, Requirement, Trainer, TrainingRequest


def _types_of(user):
    return scope_to_sites(ResourceType.objects.filter(site__isnull=False), administered_site_ids(user))


def _decided_requirements(user):
    return Requirement.objects.filter(decided_by_q(user, "resource_type")).select_related("resource_type", "resource")


class SiteOfType:
    def site_id_of(self, obj) -> int | None:
        return obj.resource_type.site_id


@admin.register(Requirement)
class RequirementAdmin(SiteOfType, RoleScopedAdmin):
    """Types and instruments that need training; written through training.services."""

    visible = staticmethod(selectors.requirement_list)
    list_display = ["resource_type", "resource", "lapse_months", "created"]
    list_filter = [("resource_type__site", admin.RelatedOnlyFieldListFilter), "resource_type"]
    search_fields = ["resource_type__name", "resource__name", "description"]
    fields = ["resource_type", "resource", "lapse_months", "description"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "resource_type":
            field.queryset = _types_of(request.user)
        if db_field.name == "resource":
            field.queryset = scope_to_sites(Resource.objects.all(), administered_site_ids(request.user))
        return field

    def get_readonly_fields(self, request, obj=None):
        return ["resource_type", "resource"] if obj else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.requirement_save(
            actor=request.user,
            resource_type=obj.resource_type if change else data["resource_type"],
            resource=obj.resource if change else data.get("resource"),
            lapse_months=data.get("lapse_months"),
            description=data.get("description", ""),
            requirement=Requirement.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk, obj._state.adding = saved.pk, False

    def delete_model(self, request, obj):
        services.requirement_delete(actor=request.user, requirement=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Trainer)
class TrainerAdmin(SiteOfType, RoleScopedAdmin):
    """Who may grant qualifications for a type, named by the site's administrators."""

    visible = staticmethod(selectors.trainer_list)
    list_display = ["user", "resource_type", "named_by", "created"]
    list_filter = [("resource_type__site", admin.RelatedOnlyFieldListFilter), "resource_type"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "resource_type__name"]
    fields = ["user", "resource_type"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "resource_type":
            field.queryset = _types_of(request.user)
        return field

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = services.trainer_add(
            actor=request.user, user=form.cleaned_data["user"], resource_type=form.cleaned_data["resource_type"]
        )
        obj.pk, obj._state.adding = saved.pk, False

    def delete_model(self, request, obj):
        services.trainer_remove(actor=request.user, trainer=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class GrantForm(forms.ModelForm):
    class Meta:
        model = Qualification
        fields = ["user", "requirement", "expires_on", "note"]


@admin.register(Qualification)
class QualificationAdmin(RoleScopedAdmin):
    """Granted here or on the training pages; revoked by an action (the row stays)."""

    visible = staticmethod(selectors.qualification_list)
    form = GrantForm
    list_display = ["user", "requirement", "granted_by", "granted_at", "expires_on", "revoked_at"]
    list_filter = [
        ("requirement__resource_type__site", admin.RelatedOnlyFieldListFilter),
        ("requirement__resource_type", admin.RelatedOnlyFieldListFilter),
        "revoked_at",
        "expires_on",
    ]
    search_fields = ["user__username", "user__first_name", "user__last_name", "requirement__resource_type__name"]
    list_select_related = ["user", "granted_by", "requirement__resource_type", "requirement__resource"]
    actions = ["revoke", "revoke_and_cancel"]

    def site_id_of(self, obj) -> int | None:
        return obj.requirement.resource_type.site_id

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "requirement":
            field.queryset = _decided_requirements(request.user)
        return field

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: who was allowed what, when, stays on record

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.qualification_grant(
            actor=request.user,
            user=data["user"],
            requirement=data["requirement"],
            expires_on=data.get("expires_on"),
            note=data.get("note", ""),
        )
        obj.pk, obj._state.adding = saved.pk, False

    @admin.action(description="Revoke (upcoming bookings stay)")
    def revoke(self, request, queryset):
        self.run_each(
            request, queryset, lambda q: services.qualification_revoke(actor=request.user, qualification=q), "revoked"
        )

    @admin.action(description="Revoke and cancel upcoming bookings")
    def revoke_and_cancel(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda q: services.qualification_revoke(actor=request.user, qualification=q, cancel_upcoming=True),
            "revoked",
        )


@admin.register(TrainingRequest)
class TrainingRequestAdmin(RoleScopedAdmin):
    """People asking to be trained. Grant here; decline with a reason on the training queue page."""

    visible = staticmethod(selectors.training_request_list)
    list_display = ["user", "requirement", "status", "created", "decided_by", "decided_at"]
    list_filter = [("requirement__resource_type__site", admin.RelatedOnlyFieldListFilter), "status"]
    search_fields = ["user__username", "requirement__resource_type__name", "message", "reason"]
    list_select_related = ["user", "decided_by", "requirement__resource_type", "requirement__resource"]
    readonly_fields = ["user", "requirement", "message", "status", "created", "decided_by", "decided_at", "reason"]
    actions = ["grant"]

    def site_id_of(self, obj) -> int | None:
        return obj.requirement.resource_type.site_id

    def has_add_permission(self, request):
        return False  # people ask on the training page, for themselves

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Grant the selected requests")
    def grant(self, request, queryset):
        self.run_each(
            request, queryset, lambda r: services.training_request_grant(actor=request.user, request=r), "granted"
        )
