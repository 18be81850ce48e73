"""Operators' screens scoped by role and site: what each administrator sees, changes and may pick."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import redirect
from django.urls import reverse

from common.errors import REFUSALS, refusal_for

from .access import administered_site_ids, can_admin_site, is_global_admin, may_use_admin, scope_to_sites
from .models import Site


def admin_login(request):
    """The console's login: one login page for everything (SSO and the password switch apply to the
    admin too), and someone signed in without the console gets the not-allowed page (403), not a
    second login form that suggests another account would do."""
    if request.user.is_authenticated and not may_use_admin(request.user):
        raise PermissionDenied("The admin console is for site and global administrators.")
    query = request.META.get("QUERY_STRING", "")
    return redirect(f"{reverse('login')}?{query}" if query else reverse("login"))


_choices: dict[str, Callable[..., QuerySet]] = {}


def offer_choices(model_label: str, choose: Callable[..., QuerySet]) -> None:
    """Which objects of `model_label` ("resources.Resource") an operator may pick in a form:
    `choose(user)`. The app that owns the model registers it beside its admin."""
    _choices[model_label] = choose


offer_choices("resources.Site", lambda user: scope_to_sites(Site.objects.all(), administered_site_ids(user), "pk"))


class RoleScopedAdmin(admin.ModelAdmin):
    """Global administrators see everything; site administrators see what their sites may see
    (`visible` selector) and change what belongs to the sites they administer (`site_id_of`)."""

    visible = None  # staticmethod(selector(user=...)) in subclasses
    global_only = False  # only global administrators add, change or delete

    def site_id_of(self, obj) -> int | None:
        return obj.site_id

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices are what this operator may use: sites they administer, and what the app that owns
        # the related model says they may see; nothing of another site is offered (or named).
        choose = _choices.get(db_field.related_model._meta.label)
        if choose is not None:
            kwargs["queryset"] = choose(request.user)
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

    def run_service(self, request, call, success) -> None:
        """For admin actions: report a refused or conflicting change as a message, not an error page.
        `success` is the message, or a function that writes it once the change is made."""
        try:
            call()
        except REFUSALS as exc:
            self.message_user(request, refusal_for(exc).message, messages.ERROR)
        else:
            self.message_user(request, success() if callable(success) else success, messages.SUCCESS)

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
