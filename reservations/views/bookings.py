import json
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin

from accounts.selectors import user_list
from common import names, times
from common.web import navigation, versions
from common.web.forms import object_id, read_query, run_form_service
from reservations import hooks, rules, selectors, services
from reservations.forms.bookings import ReservationForm, TimelineQuery
from reservations.models import HOLDING, Reservation, ReservationStatus
from reservations.policies import checkin, quotas, waitlist
from reservations.policies.models import WaitlistStatus
from resources.selectors import bookable_resources, resource_tree, visible_resources, visible_sites
from tenancy.access import can_admin_site


def _resources_json(resources) -> str:
    return json.dumps(
        [
            {
                "id": r.pk,
                "name": r.name,
                "type": r.resource_type.name,
                "type_id": r.resource_type_id,
                "color": r.resource_type.color,
                "status": r.status,
                "schema": r.resource_type.parameter_schema or [],
            }
            for r in resources
        ]
    )


def _zone_now(site) -> str:
    return timezone.now().astimezone(times.site_zone(site)).strftime("%Z")


@login_required
def calendar_home(request):
    site = visible_sites(user=request.user).order_by("name").first()
    if site is None:
        return render(request, "reservations/no_sites.html")
    return redirect("site-calendar", slug=site.slug)


@login_required
def site_calendar(request, slug: str):
    site = get_object_or_404(visible_sites(user=request.user), slug=slug)
    tree = resource_tree(user=request.user, site=site)
    return render(
        request,
        "reservations/calendar.html",
        {
            "site": site,
            "sites": visible_sites(user=request.user).order_by("name"),
            "tree": tree,
            "resources_json": _resources_json(r for r, _ in tree),
            "resource": None,
            "site_zone_now": _zone_now(site),
            "can_book_past": can_admin_site(request.user, site.pk),
        },
    )


@login_required
def resource_calendar(request, pk: int):
    resource = get_object_or_404(
        visible_resources(user=request.user).select_related("site", "resource_type", "parent"), pk=pk
    )
    return render(
        request,
        "reservations/calendar.html",
        {
            "site": resource.site,
            "sites": visible_sites(user=request.user).order_by("name"),
            "tree": [],
            "resources_json": _resources_json([resource]),
            "resource": resource,
            "children": visible_resources(user=request.user).filter(parent=resource).order_by("name"),
            "limits": " ".join(
                filter(None, [rules.describe(resource), quotas.summary(user=request.user, resource=resource)])
            ),
            "site_zone_now": _zone_now(resource.site),
            "can_book_past": can_admin_site(request.user, resource.site_id),
            "sections": hooks.resource_sections(request, resource),
        },
    )


BLOCKED_STATUS = "Not bookable: part of a booked whole"


def _merge_blocked(bars: list[dict], start, span: float, tz, viewer) -> list[dict]:
    """A whole whose parts are booked at once gets one "Blocked by" bar per stretch of time, naming
    every part, instead of bars drawn over each other."""
    blocked = sorted((b for b in bars if b.get("blocked")), key=lambda b: b["booking"].start)
    merged: list[dict] = []
    for bar in blocked:
        booking = bar["booking"]
        last = merged[-1] if merged else None
        if last is not None and booking.start < last["until"]:
            last["until"] = max(last["until"], booking.end)
            last["names"].append(booking.resource.name)
            continue
        merged.append({**bar, "from": booking.start, "until": booking.end, "names": [booking.resource.name]})
    for bar in merged:
        if len(bar["names"]) > 1:
            left = max((bar["from"] - start).total_seconds(), 0) / span * 100
            right = min((bar["until"] - start).total_seconds(), span) / span * 100
            parts = ", ".join(dict.fromkeys(bar["names"]))
            bar.update(left=f"{left:.3f}", width=f"{max(right - left, 0.3):.3f}", label=f"Blocked by {parts}")
            bar["when"] = times.span(bar["from"], bar["until"], tz, viewer)
    return [b for b in bars if not b.get("blocked")] + merged


@login_required
def timeline(request, slug: str):
    """Rows = resources (grouped by type, as a tree), columns = days; bookings as colored bars."""
    site = get_object_or_404(visible_sites(user=request.user), slug=slug)
    query = read_query(request, TimelineQuery)
    tz = times.site_zone(site)  # days run midnight to midnight on the site's clock
    first, days = query["date"] or timezone.now().astimezone(tz).date(), query["days"]
    if query["view"]:
        days = TimelineQuery.ZOOM[query["view"]]
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = start + timedelta(days=days)
    span = (end - start).total_seconds()
    tree = resource_tree(user=request.user, site=site)
    bookings = selectors.reservation_list(user=request.user).filter(
        resource__site=site, status__in=HOLDING, start__lt=end, blocked_until__gt=start
    )
    visible = selectors.details_visible_to(request.user)
    parent_of = {resource.pk: resource.parent_id for resource, _ in tree}
    children: dict[int, list[int]] = {}
    for pk, parent in parent_of.items():
        children.setdefault(parent, []).append(pk)

    def relatives(pk: int) -> list[int]:
        """The resources a booking of `pk` blocks besides itself: what it is part of, and its parts."""
        found, up, down = [], parent_of.get(pk), list(children.get(pk, []))
        while up is not None:
            found.append(up)
            up = parent_of.get(up)
        while down:
            found.append(down.pop())
            down.extend(children.get(found[-1], []))
        return found

    bookings = list(bookings)
    by_use = query["by"] == "use"
    now = timezone.now()
    # Colour by use: how each running booking the viewer may open is used (apps measuring it say).
    marks = hooks.bar_marks([b for b in bookings if b.start <= now < b.end and visible(b)]) if by_use else {}
    bars: dict[int, list[dict]] = {}
    for booking in bookings:
        left = max((booking.start - start).total_seconds(), 0) / span * 100
        right = min((booking.end - start).total_seconds(), span) / span * 100
        shown = visible(booking)
        title = booking.title if shown and booking.title else ""
        pending = "Pending: " if booking.status == ReservationStatus.PENDING else ""
        bar = {
            "owner": names.person(booking.owner) if shown else "",
            "status": "Waiting for approval" if pending else "Booked",
            "booking": booking,
            "left": f"{left:.3f}",
            "width": f"{max(right - left, 0.3):.3f}",
            "label": pending + (title or "Booked"),
            "pending": bool(pending),
            # Colleagues' bookings are a plain "Booked" bar: their detail page is not theirs to open.
            "linked": visible(booking),
            "movable": rules.may_change(request.user, booking),
        }
        if booking.pk in marks:
            bar["use"], words = marks[booking.pk]
            bar["use_colour"] = USE_COLOURS[bar["use"]]
            bar["status"] = f"{bar['status']} · {words}"
        if booking.end > start:
            bars.setdefault(booking.resource_id, []).append(bar)
        if booking.blocked_until > booking.end and booking.blocked_until > start:
            # The resource's cleanup after it: nothing starts there (hatched, not a booking to open).
            clean_left = max((booking.end - start).total_seconds(), 0) / span * 100
            clean_right = min((booking.blocked_until - start).total_seconds(), span) / span * 100
            cleanup = {**bar, "left": f"{clean_left:.3f}", "width": f"{max(clean_right - clean_left, 0.3):.3f}"}
            bars.setdefault(booking.resource_id, []).append(
                {**cleanup, "label": "Cleanup", "status": "Cleanup after a booking", "cleanup": True, "linked": False}
            )
        if booking.end <= start:
            continue
        blocked_label = f"Blocked by {booking.resource.name}" + (f" · {title}" if title else "")
        for other in relatives(booking.resource_id):
            bars.setdefault(other, []).append(
                {
                    **bar,
                    "label": blocked_label,
                    "status": "Not bookable: part of a booked whole",
                    "blocked": True,
                    "linked": False,
                }
            )
    # Top-level resources grouped by type, each followed by its sub-resources.
    blocks: list[list] = []
    for resource, depth in tree:
        if depth == 0:
            blocks.append([])
        own = bars.get(resource.pk, [])
        blocks[-1].append((resource, depth, _merge_blocked(own, start, span, tz, times.user_zone(request.user))))
    blocks.sort(key=lambda block: (block[0][0].resource_type.name.lower(), block[0][0].name.lower()))
    rows = [row for block in blocks for row in block]
    today = timezone.now().astimezone(tz).date()
    today_start = datetime.combine(today, time.min, tzinfo=tz)
    today_offset = None
    if start <= today_start < end and days > 1:
        today_offset = (f"{(today_start - start).total_seconds() / span * 100:.3f}", f"{100 / days:.3f}")
    return render(
        request,
        "reservations/timeline.html",
        {
            "site": site,
            "rows": rows,
            "days": [first + timedelta(days=i) for i in range(days)],
            # Day view: hours; longer views: days.
            "columns": [f"{hour:02d}" for hour in range(24)] if days == 1 else None,
            "start": start,
            "end": end,
            "step_minutes": 15 if days == 1 else 60 if days <= 7 else 24 * 60,
            "zoom": {1: "day", 7: "week", 31: "month"}.get(days, ""),
            "zoom_choices": [("day", "a day (hours)"), ("week", "a week"), ("month", "a month")],
            "previous": (first - timedelta(days=days)).isoformat(),
            "next": (first + timedelta(days=days)).isoformat(),
            "span_days": days,
            "today": today,
            "today_offset": today_offset,
            "site_zone_now": _zone_now(site),
            "by_use": by_use,
            "use_colours": USE_COLOURS,
        },
    )


# The timeline's colours by use: the same on every type, readable with white text.
USE_COLOURS = {"active": "#2e7d32", "idle": "#b45309", "unknown": "#5b6472"}


@login_required
def my_bookings(request):
    now = timezone.now()
    mine = selectors.reservation_list(user=request.user).filter(owner=request.user)
    return render(
        request,
        "reservations/my_bookings.html",
        {
            "upcoming": mine.filter(status__in=HOLDING, end__gt=now).order_by("start")[:200],
            "past": mine.filter(Q(end__lte=now) | ~Q(status__in=HOLDING)).order_by("-start")[:50],
            "waiting": waitlist.waitlist_visible(user=request.user).filter(
                user=request.user, status=WaitlistStatus.WAITING, end__gt=now
            ),
        },
    )


def _use_buttons(booking) -> dict:
    """Which of check in, check out and extend make sense now."""
    now = timezone.now()
    live = booking.status == ReservationStatus.CONFIRMED and booking.released_at is None and booking.end > now
    return {
        "check_in": live
        and booking.checkin_until is not None
        and booking.checked_in_at is None
        and checkin.opens_at(booking) <= now < booking.checkin_until,
        "check_out": live and booking.start <= now,
        "extend": live,
    }


def _policies(user, resource) -> str:
    """What a person about to book should know: the type's rules and their own quota."""
    return " ".join(filter(None, [rules.describe(resource), quotas.summary(user=user, resource=resource)]))


def _parse_wall_clock(value: str | None, resource):
    """A ?start= from a link: with an offset it is placed on the resource's site clock."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if timezone.is_aware(moment) and resource is not None:
        return times.wall_clock(moment, times.site_zone(resource.site))
    return moment.replace(tzinfo=None, second=0, microsecond=0)


def _owners_for(user, resource):
    """Who `user` may book for: site administrators pick among the site's people; others book for themselves."""
    if resource is None or not can_admin_site(user, resource.site_id):
        return None
    return user_list(user=user).filter(memberships__site_id=resource.site_id, is_active=True).distinct()


@xframe_options_sameorigin  # the calendars open this very form in their booking dialog
@login_required
def reservation_new(request):
    """One page: resource, times on its site's clock, repeat with a preview of each occurrence,
    the type's parameters, and, for site administrators, whom it is for. With ?embed=1, the same
    form inside a calendar's dialog (no site header; when booked, it tells the calendar)."""
    embed = request.GET.get("embed") == "1"
    resources = bookable_resources(user=request.user).select_related("resource_type", "site")
    # From a site's calendar or timeline: that site's resources, so its clock holds for every choice.
    site_id = object_id(request.GET.get("site")) if embed else None
    if site_id:
        resources = resources.filter(site_id=site_id)
    chosen = resources.filter(pk=object_id(request.POST.get("resource") or request.GET.get("resource"))).first()
    schema = chosen.resource_type.parameter_schema if chosen else []
    owners = _owners_for(request.user, chosen)
    offers = hooks.offers(request.user, resources)
    choices = _choices_for(request.user, chosen)
    preview = None
    if request.method == "POST":
        form = ReservationForm(
            request.POST, resources=resources, schema=schema, owners=owners, offers=offers, choices=choices
        )
        created = {}

        def create(data):
            common = {
                "actor": request.user,
                "resource": data["resource"],
                "start": data["start"],
                "end": data["end"],
                "title": data["title"],
                "description": data["description"],
                "parameters": form.parameters(),
                "owner": data.get("owner") or request.user,
                "replace_if_down": data.get("replace_if_down", False),
                "replace_where": data.get("replace_where", ""),
            }
            rule = form.rrule()
            if "preview" in request.POST:
                if rule:
                    preview.extend(
                        selectors.series_preview(
                            actor=request.user,
                            resource=data["resource"],
                            start=data["start"],
                            end=data["end"],
                            rrule=rule,
                            parameters=common["parameters"],
                        )
                    )
                raise _Previewed
            if rule:
                created["series"] = services.series_create(
                    rrule=rule, skip_conflicts=data.get("skip_conflicts", False), **common
                )
            else:
                created["booking"] = services.reservation_create(**common)

        preview = []
        picked = {choice.name: form.data.get(choice.name) for choice, _, _ in choices}
        try:
            with hooks.choosing({name: object_id(value) for name, value in picked.items()}):
                booked = run_form_service(form, create)
        except _Previewed:
            booked = False
        else:
            preview = None
        waitlist_offer = _waitlist_offer(form) if not booked and preview is None else None
        if booked:
            if "series" in created:
                result = created["series"]
                said, first = _booked_series(result.created, result.skipped), result.created[0]
            else:
                first = created["booking"]
                said = (
                    "Requested: it waits for a site administrator's approval; you are told when it is decided."
                    if first.status == ReservationStatus.PENDING
                    else f"Booked: {first.resource.name}{f' · {first.title}' if first.title else ''}, "
                    f"{times.booking_span(first, times.user_zone(request.user))}."
                )
            if embed:
                return render(request, "reservations/booked_embedded.html", {"message": said, "booking": first})
            messages.success(request, said)
            return redirect("reservation-detail", pk=first.pk)
    else:
        form = ReservationForm(
            resources=resources,
            schema=schema,
            owners=owners,
            offers=offers,
            choices=choices,
            initial={
                "resource": chosen,
                "start": _parse_wall_clock(request.GET.get("start"), chosen),
                "end": _parse_wall_clock(request.GET.get("end"), chosen),
                "title": request.GET.get("title", ""),
                "repeat_ends": "count",
                "repeat_interval": 1,
            },
        )
    context = {
        "embed": embed,
        "embed_query": f"?embed=1&site={site_id}" if site_id else "?embed=1",
        "form": form,
        "waitlist_offer": waitlist_offer if request.method == "POST" else None,
        "chosen": chosen,
        "offer": offers.get(chosen.pk) if chosen and not owners else None,
        "choice_fields": [form[c.name] for c, _, _ in choices if c.name in form.fields],
        "booking": None,
        "zone_now": _zone_now(chosen.site) if chosen else "",
        "limits": _policies(request.user, chosen) if chosen else "",
        "preview": preview,
        "presets": [("30 min", 30), ("1 h", 60), ("2 h", 120), ("4 h", 240), ("8 h", 480)],
    }
    if request.headers.get("x-preview"):
        return render(request, "reservations/preview.html", context)
    return render(request, "reservations/form.html", context)


def _choices_for(user, resource) -> list:
    """The choices apps above the core offer for this resource (the project to charge), with options."""
    return [] if resource is None else hooks.choices_offered(user, resource.site)


def _booked_series(created: list, skipped: list) -> str:
    pending = sum(1 for booking in created if booking.status == ReservationStatus.PENDING)
    said = ngettext("Booked %(n)d occurrence", "Booked %(n)d occurrences", len(created)) % {"n": len(created)}
    if pending:
        said += ngettext(" (%(n)d waits for approval)", " (%(n)d wait for approval)", pending) % {"n": pending}
    if skipped:
        said += ngettext("; %(n)d skipped (taken)", "; %(n)d skipped (taken)", len(skipped)) % {"n": len(skipped)}
    return said + "."


def _waitlist_offer(form) -> dict | None:
    """A single booking refused because the time is taken: offer to wait for it."""
    data = getattr(form, "cleaned_data", {})
    taken = any("already booked" in str(error) for error in form.non_field_errors())
    if not taken or form.rrule() or not all(data.get(k) for k in ("resource", "start", "end")):
        return None
    return {
        "resource": data["resource"],
        "start": data["start"],
        "end": data["end"],
        "title": data.get("title", ""),
        "parameters_json": json.dumps(form.parameters()),
    }


class _Previewed(Exception):
    """Raised inside the form's service call to stop after the preview: nothing is booked."""


def _leases_always_move(form, booking) -> None:
    """A lease's booking is always replaced if its machine fails: no choice to offer."""
    if booking.lease_id is not None:
        del form.fields["replace_if_down"], form.fields["replace_where"]


@login_required
def reservation_detail(request, pk: int):
    booking = get_object_or_404(selectors.reservation_list(user=request.user), pk=pk)
    visible = selectors.details_visible_to(request.user)(booking)
    can_change = rules.may_change(request.user, booking)
    if not visible:
        raise Http404("No booking you may see here.")
    navigation.belongs_to(request, booking.owner_id)
    form = None
    if can_change and booking.status in HOLDING:
        resources = bookable_resources(user=request.user).select_related("resource_type", "site")
        where = times.site_zone(booking.resource.site)
        schema = booking.resource.resource_type.parameter_schema or []
        initial = {
            "resource": booking.resource,
            "start": times.wall_clock(booking.start, where),
            "end": times.wall_clock(booking.end, where),
            "title": booking.title,
            "description": booking.description,
            "replace_if_down": booking.replace_if_down,
            "replace_where": booking.replace_where,
            **{f"param_{k}": v for k, v in booking.parameters.items()},
        }
        if request.method == "POST":
            form = ReservationForm(request.POST, resources=resources, schema=schema, with_repeat=False)
            _leases_always_move(form, booking)

            @transaction.atomic
            def update(data):
                versions.require_current(Reservation, booking.pk, request.POST.get("version"), "This booking")
                services.series_update(
                    actor=request.user,
                    reservation=booking,
                    scope=request.POST.get("scope", "this"),
                    resource=data["resource"],
                    start=data["start"],
                    end=data["end"],
                    title=data["title"],
                    description=data["description"],
                    parameters=form.parameters(),
                    replace_if_down=data.get("replace_if_down", booking.replace_if_down),
                    replace_where=data.get("replace_where", booking.replace_where),
                )

            if run_form_service(form, update):
                messages.success(request, "Booking changed.")
                return redirect("reservation-detail", pk=booking.pk)
        else:
            form = ReservationForm(initial=initial, resources=resources, schema=schema, with_repeat=False)
            _leases_always_move(form, booking)
    return render(
        request,
        "reservations/detail.html",
        {
            "booking": booking,
            "form": form,
            "can_change": can_change,
            "can_decide": booking.status == ReservationStatus.PENDING
            and can_admin_site(request.user, booking.resource.site_id),
            "use": _use_buttons(booking) if can_change else {},
            # After a refused save the form keeps the version it was made from: only a reload updates it.
            "version": request.POST.get("version") or versions.version_of(booking),
            "zone_now": _zone_now(booking.resource.site),
            "sections": hooks.booking_sections(request, booking),
        },
    )


@login_required
def reservation_cancel(request, pk: int):
    """GET: confirm (which occurrences, and why); POST: cancel."""
    booking = get_object_or_404(selectors.reservation_list(user=request.user), pk=pk)
    if not selectors.details_visible_to(request.user)(booking):
        raise Http404("No booking you may see here.")
    navigation.belongs_to(request, booking.owner_id)
    if request.method != "POST":
        rules.require_can_change(actor=request.user, reservation=booking)
        return render(request, "reservations/cancel.html", {"booking": booking})
    cancelled = services.series_cancel(
        actor=request.user,
        reservation=booking,
        scope=request.POST.get("scope", "this"),
        reason=request.POST.get("reason", "").strip()[:500],
    )
    messages.success(
        request,
        ngettext("Cancelled %(n)d booking.", "Cancelled %(n)d bookings.", len(cancelled)) % {"n": len(cancelled)},
    )
    return redirect("reservation-detail", pk=booking.pk)
