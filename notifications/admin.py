"""Notifications, read-only: what each person was told, and whether the email went out."""

from django.contrib import admin, messages
from django.utils.translation import ngettext

from common.admin import ReadOnlyAdminMixin
from tenancy.access import administered_site_ids, is_global_admin, may_use_admin

from . import services
from .models import Notification


class EmailFilter(admin.SimpleListFilter):
    title = "email"
    parameter_name = "email"

    def lookups(self, request, model_admin):
        return [("sent", "Sent"), ("owed", "Owed (not sent yet)"), ("failed", "Failed")]

    def queryset(self, request, queryset):
        return {
            "sent": lambda: queryset.filter(emailed_at__isnull=False),
            "owed": lambda: queryset.filter(email_due_at__isnull=False),
            "failed": lambda: queryset.filter(emailed_at__isnull=True).exclude(email_error=""),
        }.get(self.value(), lambda: queryset)()


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created", "user", "kind", "title", "read_at", "emailed_at", "email_attempts", "email_error"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter), EmailFilter]
    actions = ["retry_email"]
    search_fields = ["title", "body", "user__username"]
    date_hierarchy = "created"
    list_select_related = ["user"]

    def get_queryset(self, request):
        notifications = super().get_queryset(request)
        if is_global_admin(request.user):
            return notifications
        # Site administrators: what the people of their sites were told.
        return notifications.filter(user__memberships__site_id__in=administered_site_ids(request.user)).distinct()

    def has_module_permission(self, request):
        return may_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request.user)

    @admin.action(description="Try the email again now (those not sent yet)")
    def retry_email(self, request, queryset):
        owed = services.email_retry(notifications=queryset)
        self.message_user(
            request,
            ngettext("%(n)d email owed again.", "%(n)d emails owed again.", owed) % {"n": owed},
            messages.SUCCESS if owed else messages.WARNING,
        )
