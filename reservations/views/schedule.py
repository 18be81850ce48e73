"""A site's schedule for a day or a week, to print or to open in a spreadsheet."""

from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from common import names, spreadsheet, times
from common.web.forms import read_query
from reservations import selectors
from reservations.forms.bookings import ScheduleQuery
from reservations.models import ReservationStatus
from resources.selectors import resource_tree, visible_sites


@login_required
def schedule(request, slug: str):
    site = get_object_or_404(visible_sites(user=request.user), slug=slug)
    query = read_query(request, ScheduleQuery)
    zone = times.site_zone(site)
    first = query["date"] or timezone.now().astimezone(zone).date()
    days = query["days"]
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(first + timedelta(days=days), time.min, tzinfo=zone)
    bookings = selectors.in_window(
        selectors.reservation_list(user=request.user).filter(resource__site=site, status=ReservationStatus.CONFIRMED),
        start,
        end,
    ).order_by("start")
    visible = selectors.details_visible_to(request.user)
    by_resource: dict[int, list] = {}
    for booking in bookings:
        shown = visible(booking)
        by_resource.setdefault(booking.resource_id, []).append(
            {
                "booking": booking,
                "when": times.booking_span(booking),
                "title": booking.title if shown else "Booked",
                "owner": names.person(booking.owner) if shown else "",
            }
        )
    rows = [
        (resource, depth, by_resource.get(resource.pk, []))
        for resource, depth in resource_tree(user=request.user, site=site)
    ]
    if query["format"] == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{site.slug}-{first.isoformat()}-{days}d.csv"'
        writer = spreadsheet.writer(response)
        writer.writerow(["resource", "start", "end", "time zone", "title", "owner"])
        for resource, _, entries in rows:
            for entry in entries:
                b = entry["booking"]
                writer.writerow(
                    [resource.name, b.start.astimezone(zone).isoformat(), b.end.astimezone(zone).isoformat(),
                     site.time_zone, entry["title"], entry["owner"]]
                )  # fmt: skip
        return response
    return render(
        request,
        "reservations/schedule.html",
        {
            "site": site,
            "rows": rows,
            "first": first,
            "last": first + timedelta(days=days - 1),
            "days": days,
            "previous": (first - timedelta(days=days)).isoformat(),
            "next": (first + timedelta(days=days)).isoformat(),
        },
    )
