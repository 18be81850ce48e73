"""Operators' console for bookings and series: every write goes through reservations.services, so
conflicts, limits and permissions show as form errors and messages, as on the pages and the API."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from common import spreadsheet, times
from common.admin import ReadOnlyInline
from common.errors import REFUSALS
from common.web import versions
from common.web.forms import add_refusal
from reservations import selectors, services
from reservations.models import HOLDING, Reservation, ReservationStatus, Series
from reservations.policies import approvals
from tenancy.admin import RoleScopedAdmin

EDITED_HERE = [
    "resource",
    "owner",
    "start",
    "end",
    "title",
    "description",
    "parameters",
    "replace_if_down",
    "replace_where",
]


class WhenFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("running", "Running now"), ("past", "Past")]

    def queryset(self, request, queryset):
        now = timezone.now()
        return {
            "upcoming": queryset.filter(start__gt=now),
            "running": queryset.filter(start__lte=now, end__gt=now),
            "past": queryset.filter(end__lte=now),
        }.get(self.value(), queryset)


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("single", "Single bookings"), ("series", "Part of a series")]

    def queryset(self, request, queryset):
        if self.value() == "single":
            return queryset.filter(series__isnull=True)
        if self.value() == "series":
            return queryset.filter(series__isnull=False)
        return queryset


class ReplacementFilter(admin.SimpleListFilter):
    title = "if its machine fails"
    parameter_name = "replacement"

    def lookups(self, request, model_admin):
        return [
            ("awaiting", "Awaiting a replacement"),
            ("moved", "Moved off a failed machine"),
            ("moves", "Moves (lease or opted in)"),
        ]

    def queryset(self, request, queryset):
        return {
            "awaiting": lambda: queryset.filter(awaiting_replacement_since__isnull=False, status__in=HOLDING),
            "moved": lambda: queryset.filter(release_reason="replaced"),
            "moves": lambda: queryset.filter(Q(lease__isnull=False) | Q(replace_if_down=True)),
        }.get(self.value(), lambda: queryset)()


class ReservationAdminForm(forms.ModelForm):
    """Validation is the service itself: clean() makes the change (inside the admin's transaction),
    and its refusal becomes the form's errors, field by field."""

    actor = None  # set by ReservationAdmin.get_form
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    apply_to = forms.ChoiceField(
        choices=[("this", "this occurrence"), ("following", "this and the following"), ("all", "all remaining")],
        initial="this",
        required=False,
        help_text="For an occurrence of a series: which occurrences the change applies to.",
    )

    class Meta:
        model = Reservation
        fields = EDITED_HERE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.series_id:
            del self.fields["apply_to"]
        if self.instance.pk:
            self.fields["version"].initial = versions.version_of(self.instance)

    def _post_clean(self):
        pass  # the model's own checks run in the service, with the service's messages

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {name: cleaned.get(name) for name in EDITED_HERE}
        data["parameters"] = data["parameters"] or {}
        try:
            with transaction.atomic():
                if self.instance.pk:
                    versions.require_current(Reservation, self.instance.pk, cleaned.get("version"), "This booking")
                    fresh = Reservation.objects.select_related("resource__site").get(pk=self.instance.pk)
                    changes = {name: data[name] for name in self.changed_data if name in data}
                    changed = services.series_update(
                        actor=self.actor, reservation=fresh, scope=cleaned.get("apply_to") or "this", **changes
                    )
                    self.saved = next(r for r in changed if r.pk == fresh.pk)
                else:
                    self.saved = services.reservation_create(actor=self.actor, **data)
        except REFUSALS as exc:
            add_refusal(self, exc)
        return cleaned

    def save(self, commit=True):
        return self.saved


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Told to each owner."
    )


def _local(moment, booking) -> str:
    return times.at(moment, times.site_zone(booking.resource.site))


@admin.register(Reservation)
class ReservationAdmin(RoleScopedAdmin):
    visible = staticmethod(selectors.reservation_list_administered)
    form = ReservationAdminForm
    list_display = ["booking", "resource_with_type", "owner", "local_start", "local_end", "duration", "status"]
    list_filter = [
        WhenFilter,
        "status",
        KindFilter,
        ReplacementFilter,
        ("resource__site", admin.RelatedOnlyFieldListFilter),
        ("resource__resource_type", admin.RelatedOnlyFieldListFilter),
        ("resource", admin.RelatedOnlyFieldListFilter),
        ("owner", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["resource__site", "resource__resource_type", "resource__parent", "owner", "series"]
    search_fields = [
        "title",
        "description",
        "owner__username",
        "owner__first_name",
        "owner__last_name",
        "resource__name",
    ]
    date_hierarchy = "start"
    ordering = ["-start"]
    autocomplete_fields = ["resource", "owner"]
    readonly_fields = [
        "status",
        "series_link",
        "when",
        "cancellation",
        "awaiting_replacement_since",
        "links",
        "created",
        "updated",
    ]
    actions = ["approve_selected", "reject_selected", "cancel_with_reason", "export_csv"]

    def site_id_of(self, obj):
        return obj.resource.site_id

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def get_fieldsets(self, request, obj=None):
        fields = [*EDITED_HERE, "apply_to"] if obj and obj.series_id else list(EDITED_HERE)
        editable = [(None, {"fields": [*fields, "version"] if obj else fields})]
        if obj is None:
            return editable
        return [*editable, ("Record", {"fields": self.readonly_fields})]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status not in HOLDING:
            return False  # what happened (cancelled, rejected) stays as it was
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # bookings are cancelled, never deleted

    def save_model(self, request, obj, form, change):
        pass  # the form's clean() already saved through the service

    def save_related(self, request, form, formsets, change):
        pass

    # --- Columns ---------------------------------------------------------------------------------

    @admin.display(description="Booking", ordering="title")
    def booking(self, obj):
        return obj.title or f"Booking {obj.pk}"

    @admin.display(description="Resource", ordering="resource__name")
    def resource_with_type(self, obj):
        kind = obj.resource.resource_type
        parent = f"{obj.resource.parent.name} → " if obj.resource.parent_id else ""
        return format_html(
            '<span class="swatch" style="display:inline-block;width:.8em;height:.8em;border-radius:2px;'
            'background:{}" title="{}"></span> {}{} <span style="color:#555">({})</span>',
            kind.color,
            kind.name,
            parent,
            obj.resource.name,
            obj.resource.site.name,
        )

    @admin.display(description="Start (site time)", ordering="start")
    def local_start(self, obj):
        return _local(obj.start, obj)

    @admin.display(description="End (site time)", ordering="end")
    def local_end(self, obj):
        return _local(obj.end, obj)

    @admin.display(description="Length")
    def duration(self, obj):
        minutes = int((obj.end - obj.start) / timedelta(minutes=1))
        return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"

    @admin.display(description="When")
    def when(self, obj):
        return times.booking_span(obj)

    @admin.display(description="Series")
    def series_link(self, obj):
        if not obj.series_id:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:reservations_series_change", args=[obj.series_id]), obj.series
        )

    @admin.display(description="Cancelled")
    def cancellation(self, obj):
        if obj.status != ReservationStatus.CANCELLED:
            return "-"
        by = obj.cancelled_by.get_username() if obj.cancelled_by else "the system"
        reason = f": {obj.cancel_reason}" if obj.cancel_reason else ""
        return f"{times.stamp(obj.cancelled_at)} by {by}{reason}"

    @admin.display(description="Elsewhere")
    def links(self, obj):
        return format_html(
            '<a href="{}">booking page</a> · <a href="{}">{} calendar</a> · <a href="{}">{} in the admin</a>'
            ' · <a href="{}">owner</a> · <a href="{}">events and webhook deliveries</a>'
            ' · <a href="{}">audit entries</a>',
            reverse("reservation-detail", args=[obj.pk]),
            reverse("resource-calendar", args=[obj.resource_id]),
            obj.resource.name,
            reverse("admin:resources_resource_change", args=[obj.resource_id]),
            obj.resource.name,
            reverse("admin:auth_user_change", args=[obj.owner_id]),
            reverse("admin:webhooks_event_changelist") + f"?booking={obj.pk}",
            reverse("audit-log") + f"?object_type=reservation&object_id={obj.pk}",
        )

    # --- Actions ---------------------------------------------------------------------------------

    @admin.action(description="Cancel selected bookings (asks for a reason)")
    def cancel_with_reason(self, request, queryset):
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self.run_each(
                request,
                queryset.filter(status__in=HOLDING),
                lambda b: services.reservation_cancel(actor=request.user, reservation=b, reason=reason),
                "cancelled",
            )
            return None
        return TemplateResponse(
            request,
            "admin/reservations/cancel_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": "Cancel bookings",
                "bookings": queryset,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    @admin.action(description="Approve selected pending bookings")
    def approve_selected(self, request, queryset):
        self.run_each(
            request,
            queryset.filter(status=ReservationStatus.PENDING),
            lambda b: approvals.reservation_approve(actor=request.user, reservation=b),
            "approved",
        )

    @admin.action(description="Reject selected pending bookings")
    def reject_selected(self, request, queryset):
        self.run_each(
            request,
            queryset.filter(status=ReservationStatus.PENDING),
            lambda b: approvals.reservation_reject(
                actor=request.user, reservation=b, reason="Rejected by an administrator."
            ),
            "rejected",
        )

    @admin.action(description="Export selected bookings as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="bookings.csv"'
        writer = spreadsheet.writer(response)
        writer.writerow(["id", "title", "site", "resource", "type", "owner", "start", "end", "time zone", "status"])
        for b in queryset.select_related("resource__site", "resource__resource_type", "owner"):
            zone = times.site_zone(b.resource.site)
            writer.writerow(
                [
                    b.pk,
                    b.title,
                    b.resource.site.name,
                    b.resource.name,
                    b.resource.resource_type.name,
                    b.owner.get_username(),
                    b.start.astimezone(zone).isoformat(),
                    b.end.astimezone(zone).isoformat(),
                    b.resource.site.time_zone,
                    b.status,
                ]
            )
        return response


class OccurrenceInline(ReadOnlyInline):
    model = Reservation
    fk_name = "series"
    fields = ["title", "start", "end", "status", "cancel_reason"]
    ordering = ["start"]
    show_change_link = True


@admin.register(Series)
class SeriesAdmin(RoleScopedAdmin):
    visible = staticmethod(selectors.series_list_administered)
    list_display = ["__str__", "resource", "owner", "rrule", "time_zone", "first_start", "remaining"]
    list_filter = [("resource__site", admin.RelatedOnlyFieldListFilter), ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "resource__name", "owner__username"]
    list_select_related = ["resource", "owner"]
    readonly_fields = ["resource", "owner", "rrule", "time_zone", "first_start", "duration", "title"]
    inlines = [OccurrenceInline]
    actions = ["cancel_remaining"]

    def site_id_of(self, obj):
        return obj.resource.site_id

    def has_add_permission(self, request):
        return False  # a series is made by booking with a repeat rule (pages, API)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Upcoming occurrences")
    def remaining(self, obj):
        return obj.occurrences.filter(Q(status=ReservationStatus.CONFIRMED) & Q(end__gt=timezone.now())).count()

    @admin.action(description="Cancel the remaining occurrences of the selected series")
    def cancel_remaining(self, request, queryset):
        def cancel(series):
            upcoming = series.occurrences.filter(status=ReservationStatus.CONFIRMED, end__gt=timezone.now()).first()
            if upcoming is None:
                messages.info(request, f"{series}: nothing left to cancel.")
                return
            services.series_cancel(actor=request.user, reservation=upcoming, scope="following")

        self.run_each(request, queryset, cancel, "cancelled from now on")
