from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from reservations.leases import selectors as lease_selectors
from reservations.leases import services as leases
from reservations.leases.models import Lease
from tenancy.admin import RoleScopedAdmin


@admin.register(Lease)
class LeaseAdmin(RoleScopedAdmin):
    """Leases are made on the find-and-book page or through the API (where the machines are
    chosen); here operators find them, open their bookings and cancel them."""

    visible = staticmethod(lease_selectors.lease_list)
    list_display = ["__str__", "site", "resource_type", "count", "start", "end", "owner", "state"]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter), ("resource_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "owner__username", "where", "bookings__resource__name"]
    date_hierarchy = "start"
    readonly_fields = [
        "site",
        "resource_type",
        "owner",
        "created_by",
        "title",
        "where",
        "count",
        "start",
        "end",
        "cancelled_at",
        "started_event_at",
        "ended_event_at",
        "booking_links",
    ]
    fields = readonly_fields
    actions = ["cancel_leases"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("bookings").distinct()

    def has_add_permission(self, request):
        return False  # find-and-book and POST /api/leases/ choose the machines

    def has_delete_permission(self, request, obj=None):
        return False  # cancelled, never deleted: the bookings and events keep their history

    def has_change_permission(self, request, obj=None):
        return False  # shown, not saved here: moved on the lease page or the API, cancelled by the action

    @admin.display(description="Status")
    def state(self, obj):
        return leases.lease_status(obj, list(obj.bookings.all()))

    @admin.display(description="Bookings")
    def booking_links(self, obj):
        rows = [
            (reverse("admin:reservations_reservation_change", args=[b.pk]), b.resource.name, b.get_status_display())
            for b in leases.lease_bookings(obj)
        ]
        return format_html("<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a> ({})</li>', rows))

    @admin.action(description="Cancel selected leases (every booking of each)")
    def cancel_leases(self, request, queryset):
        self.run_each(
            request, queryset, lambda lease: leases.lease_cancel(actor=request.user, lease=lease), "cancelled"
        )
