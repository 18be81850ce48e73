"""Notifications, read-only: what each person was told, and whether the email went out."""

from django.contrib import admin

from common.admin import ReadOnlyAdminMixin
from tenancy.access import administered_site_ids, is_global_admin, may_use_admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created", "user", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter), ("emailed_at", admin.EmptyFieldListFilter)]
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
