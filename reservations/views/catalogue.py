"""The catalogue, the home page: your sites' resources and whether each is free now."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone

from common import times
from reservations import hooks
from reservations.selectors import occupancy_now
from resources import selectors
from resources.filters import ResourceFilter
from resources.models import ResourceStatus


def _when(moment, zone) -> str:
    today = timezone.now().astimezone(zone).date()
    return times.at(moment, zone, with_day=moment.astimezone(zone).date() != today)


def _now(resource, occupancy: dict) -> tuple[str, str]:
    """(what to say about right now, a CSS state): free, busy until, or out of service."""
    if not resource.is_bookable:
        return resource.get_status_display(), "off"
    zone = times.site_zone(resource.site)
    if occupancy.get("busy_until"):
        return f"busy until {_when(occupancy['busy_until'], zone)}", "busy"
    if occupancy.get("next_busy"):
        return f"free now · booked from {_when(occupancy['next_busy'], zone)}", "free"
    return "free now", "free"


@login_required
def catalogue(request):
    """Every resource of the user's sites as a tree: what it is, whether it is free now, a way to book."""
    visible = selectors.resource_list(user=request.user)
    filtered = ResourceFilter(request.GET, queryset=visible)
    where_error = ""
    try:
        matching = set(filtered.qs.values_list("pk", flat=True)) if filtered.is_valid() else set()
    except ValidationError as exc:  # an attribute condition that does not parse
        matching, where_error = set(), " ".join(exc.messages)
    filtering = filtered.is_valid() and any(request.GET.get(k) for k in ("search", "site", "type", "status", "where"))
    sites = []
    for site in selectors.site_list(user=request.user):
        if filtering and request.GET.get("site") and str(site.pk) != request.GET["site"]:
            continue
        tree = selectors.resource_tree(user=request.user, site=site)
        if filtering:
            tree = [(resource, depth) for resource, depth in tree if resource.pk in matching]
        sites.append((site, tree))
    shown = [resource for _, tree in sites for resource, _ in tree]
    occupancy = occupancy_now(shown)
    offers = hooks.offers(request.user, shown)  # e.g. training required: asked for instead of booked
    sites = [
        (
            site,
            [
                (resource, depth, *_now(resource, occupancy.get(resource.pk, {})), offers.get(resource.pk))
                for resource, depth in tree
            ],
        )
        for site, tree in sites
    ]
    return render(
        request,
        "resources/catalogue.html",
        {
            "sites": sites,
            "filter": filtered,
            "filtering": filtering,
            "all_sites": selectors.site_list(user=request.user),
            "types": selectors.visible_resource_types(user=request.user).order_by("name"),
            "statuses": ResourceStatus.choices,
            "where_error": where_error,
        },
    )
