"""Find and book N matching machines: search, see the proposed machines and times, confirm; then
the lease's page to move, extend or cancel them together."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from audit.models import AuditEntry
from common import times
from common.web import navigation
from common.web.forms import add_refusal, aware_moment, run_form_service, run_service
from reservations import hooks, rules
from reservations.forms.leases import LeaseMoveForm, LeaseSearchForm
from reservations.leases import search as lease_search
from reservations.leases import selectors as lease_selectors
from reservations.leases import services as leases
from resources.selectors import visible_resource_types, visible_sites

SHOWN_WINDOWS = 5


def _wall(moment):
    return timezone.localtime(moment).replace(tzinfo=None)


def _search_form(request, data):
    now = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return LeaseSearchForm(
        data,
        sites=visible_sites(user=request.user).order_by("name"),
        types=visible_resource_types(user=request.user).order_by("name"),
        choices=hooks.choices_offered(request.user, None),
        initial={
            "window_start": now.replace(tzinfo=None),
            "window_end": (now + timedelta(days=7)).replace(tzinfo=None),
        },
    )


def _find(request, form) -> tuple[list, int | None]:
    """The windows for a form that cleaned (a refusal shown on it since does not stop the search)."""
    data = form.cleaned_data
    try:
        return lease_search.find(
            actor=request.user,
            site=data["site"],
            resource_type=data["resource_type"],
            count=data["count"],
            duration=data["duration"],
            after=data["window_start"],
            before=data["window_end"],
            where=data["where"],
            limit=SHOWN_WINDOWS,
        )
    except ValidationError as exc:
        add_refusal(form, exc)
        return [], None


@login_required
def lease_new(request):
    """GET with the search fields: the first windows in which that many are free, each with the
    machines it would take and a Book button. POST (a chosen start): the lease, all or none."""
    searching = request.method == "POST" or "count" in request.GET
    form = _search_form(request, (request.POST if request.method == "POST" else request.GET) if searching else None)
    cleaned = searching and form.is_valid() and "duration" in form.cleaned_data
    if request.method == "POST":
        created = {}

        def book(data):
            start = aware_moment(request.POST.get("start"))
            if start is None:
                raise ValidationError("Choose one of the proposed times.")
            with hooks.choosing({choice.name: data.get(choice.name) for choice in hooks.choices()}):
                created["lease"] = leases.lease_create(
                    actor=request.user,
                    site=data["site"],
                    resource_type=data["resource_type"],
                    count=data["count"],
                    where=data["where"],
                    start=start,
                    end=start + data["duration"],
                    title=data["title"],
                )

        if run_form_service(form, book):
            lease = created["lease"]
            messages.success(request, f"Booked {lease.count} x {lease.resource_type.name}.")
            return redirect("lease-detail", pk=lease.pk)
    windows, matching = _find(request, form) if cleaned else ([], None)
    zone = times.site_zone(form.cleaned_data["site"]) if cleaned else None
    shown = [
        {
            "start": w.start,
            "when": times.span(w.start, w.end, zone),
            "latest": times.at(w.latest_start, zone) if w.latest_start > w.start else "",
            "available": w.available,
            "resources": w.resources[: form.cleaned_data["count"]],
        }
        for w in windows
    ]
    return render(
        request,
        "reservations/lease_new.html",
        {
            "form": form,
            "searching": searching,
            "windows": shown,
            "matching": matching,
            "choice_fields": [form[c.name] for c in hooks.choices() if c.name in form.fields],
        },
    )


def _lease_for(request, pk: int):
    return get_object_or_404(lease_selectors.lease_list(user=request.user), pk=pk)


@login_required
def lease_detail(request, pk: int):
    lease = _lease_for(request, pk)
    navigation.belongs_to(request, lease.owner_id)
    bookings = list(leases.lease_bookings(lease))
    zone = times.site_zone(lease.site)
    holding = [b for b in bookings if b.status in ("confirmed", "pending")]
    may_change = bool(holding) and all(rules.may_change(request.user, b) for b in holding)
    form = None
    if may_change:
        form = LeaseMoveForm(
            request.POST if request.method == "POST" else None,
            zone=zone,
            initial={"start": times.wall_clock(lease.start, zone), "end": times.wall_clock(lease.end, zone)},
        )
        if request.method == "POST":
            moved = run_form_service(
                form, lambda d: leases.lease_update(actor=request.user, lease=lease, start=d["start"], end=d["end"])
            )
            if moved:
                messages.success(request, "Every booking of the lease moved.")
                return redirect("lease-detail", pk=lease.pk)
    return render(
        request,
        "reservations/lease_detail.html",
        {
            "lease": lease,
            "bookings": bookings,
            "replaced": lease.bookings.filter(release_reason="replaced").select_related("resource").order_by("pk"),
            # Every move to another machine, from the audit log the replacement wrote.
            "moves": AuditEntry.objects.filter(
                action="reservation.replaced",
                object_type="reservations.reservation",
                object_id__in=[str(b.pk) for b in bookings],
            ).order_by("timestamp"),
            "when": times.span(lease.start, lease.end, zone, times.user_zone(request.user)),
            "status": leases.lease_status(lease, bookings),
            "form": form,
            "zone_now": times.at(timezone.now(), zone),
            "timeline_date": lease.start.astimezone(zone).date().isoformat(),
        },
    )


@login_required
def lease_cancel(request, pk: int):
    lease = _lease_for(request, pk)
    navigation.belongs_to(request, lease.owner_id)
    if request.method != "POST":
        bookings = list(lease.bookings.select_related("resource").order_by("resource__name"))
        count = len(bookings)
        return render(
            request,
            "confirm.html",
            {
                "question": "Cancel this lease?",
                "details": [
                    ngettext(
                        "Its %(count)d booking is cancelled: %(names)s, %(when)s.",
                        "All %(count)d of its bookings are cancelled: %(names)s, %(when)s.",
                        count,
                    )
                    % {
                        "count": count,
                        "names": ", ".join(b.resource.name for b in bookings) or "none left",
                        "when": times.span(lease.start, lease.end, times.site_zone(lease.site)),
                    },
                    "Ports, directories and other allocations taken for them are released.",
                ],
                "ask_reason": True,
                "reason_for": "kept with the lease",
                "action": ngettext("Cancel %(count)d booking", "Cancel all %(count)d bookings", count)
                % {"count": count},
                "back_url": reverse("lease-detail", args=[lease.pk]),
                "back_label": "Keep the lease",
            },
        )
    reason = request.POST.get("reason", "")[:500]
    if run_service(request, lambda: leases.lease_cancel(actor=request.user, lease=lease, reason=reason)):
        messages.success(request, f"Cancelled every booking of the lease ({lease.count} x {lease.resource_type.name}).")
    return redirect("lease-detail", pk=lease.pk)
