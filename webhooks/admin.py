from django import forms
from django.contrib import admin, messages
from django.db import models

from common.admin import ReadOnlyAdminMixin, ReadOnlyInline
from common.snapshots import mask_values
from tenancy.admin import RoleScopedAdmin

from . import selectors, services
from .models import WEBHOOK_EDITABLE_FIELDS, Delivery, DeliveryAttempt, Event, Webhook


class WebhookForm(forms.ModelForm):
    """Header names with masked values; a masked value saved back means unchanged (the service)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["headers"] = mask_values(self.instance.headers or {})


@admin.register(Webhook)
class WebhookAdmin(RoleScopedAdmin):
    form = WebhookForm
    visible = staticmethod(selectors.webhook_list)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "site", "url", "enabled", "state", "scope", "consecutive_failures"]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter), "enabled", "scope"]
    search_fields = ["name", "url"]
    readonly_fields = ["consecutive_failures", "disabled_reason", "created", "updated"]
    fields = ["site", *WEBHOOK_EDITABLE_FIELDS, *readonly_fields]
    actions = ["send_test", "rotate_secret", "rotate_secret_revoking_old"]

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.cleaned_data if f not in ("site", "name", "url")}
        if change:
            fresh = type(obj).objects.get(pk=obj.pk)
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            services.webhook_update(actor=request.user, webhook=fresh, **changes)
        else:
            created, secret = services.webhook_create(
                actor=request.user, site=obj.site, name=obj.name, url=obj.url, **data
            )
            obj.pk = created.pk
            obj._state.adding = False
            self.message_user(request, f"Secret (shown once, store it now): {secret}", messages.WARNING)

    def delete_model(self, request, obj):
        services.webhook_delete(actor=request.user, webhook=obj)

    @admin.action(description="Send a test event")
    def send_test(self, request, queryset):
        self.run_each(
            request, queryset, lambda hook: services.webhook_send_test(actor=request.user, webhook=hook), "tested"
        )

    @admin.action(description="Rotate the secret (the old one stays valid for the overlap window)")
    def rotate_secret(self, request, queryset):
        def rotate(webhook):
            secret = services.webhook_rotate_secret(actor=request.user, webhook=webhook)
            self.message_user(request, f"{webhook.name}: new secret (shown once): {secret}", messages.WARNING)

        self.run_each(request, queryset, rotate, "given a new secret")

    @admin.action(description="Rotate the secret and revoke the old one now (it leaked)")
    def rotate_secret_revoking_old(self, request, queryset):
        def rotate(webhook):
            secret = services.webhook_rotate_secret(actor=request.user, webhook=webhook, revoke_old=True)
            self.message_user(request, f"{webhook.name}: new secret (shown once): {secret}", messages.WARNING)

        self.run_each(request, queryset, rotate, "given a new secret, the old one revoked")


class AttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ["number", "started", "response_status", "duration_ms", "error", "next_retry_at", "response_body"]


class EventDeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ["webhook", "status", "attempts", "last_status_code", "last_error"]


class BookingFilter(admin.SimpleListFilter):
    """Events about one booking (linked from the booking's admin page)."""

    title = "booking"
    parameter_name = "booking"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, f"Booking {value}")] if value else []

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(payload__data__reservation__id=int(value)) if value.isdigit() else queryset.none()


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, RoleScopedAdmin):
    """The outbox, read-only: every event as receivers get it, and where it went."""

    visible = staticmethod(selectors.event_list)
    list_display = ["timestamp", "type", "id", "site_id", "resource_id"]
    list_filter = ["type", BookingFilter]
    search_fields = ["id", "type"]
    date_hierarchy = "timestamp"
    readonly_fields = ["id", "type", "timestamp", "payload", "site_id", "resource_id", "resource_type_id"]
    fields = readonly_fields
    inlines = [EventDeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(RoleScopedAdmin):
    visible = staticmethod(selectors.delivery_list)
    list_display = ["created", "event_type", "webhook", "status", "attempts", "last_status_code", "last_error"]
    list_filter = ["status", ("webhook", admin.RelatedOnlyFieldListFilter), "event__type"]
    search_fields = ["last_error", "webhook__name", "event__type"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["resend"]

    def site_id_of(self, obj):
        return obj.webhook.site_id

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Event", ordering="event__type")
    def event_type(self, obj):
        return obj.event.type

    @admin.action(description="Send again")
    def resend(self, request, queryset):
        self.run_each(
            request, queryset, lambda d: services.delivery_resend(actor=request.user, delivery=d), "queued again"
        )
