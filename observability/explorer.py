"""The resource explorer: site -> type -> resource tree, each resource with its status, the booking
running on it now, the next one, and how many webhooks fire for it. A fixed number of queries
whatever the size of the catalogue."""

from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from reservations.models import Reservation
from resources.models import Resource
from tenancy.access import administered_site_ids, scope_to_sites
from tenancy.models import Site
from webhooks.models import Webhook


@dataclass
class Node:
    resource: Resource
    children: list["Node"] = field(default_factory=list)
    current: Reservation | None = None
    next: Reservation | None = None
    webhooks: int = 0
    depth: int = 0


# Per resource, the two confirmed bookings that end first after now: the running one (if it has
# started) and the next. Bookings of a resource never overlap, so ordering by end is ordering by
# start; the (resource, end) index answers each resource with a short index scan.
CURRENT_AND_NEXT = """
SELECT b.id FROM unnest(%(ids)s::bigint[]) AS r(id)
CROSS JOIN LATERAL (
    SELECT id FROM {table} WHERE resource_id = r.id AND status = 'confirmed' AND "end" > %(now)s
    ORDER BY "end" LIMIT 2
) b
"""


def _bookings(resource_ids: list[int], now) -> tuple[dict, dict]:
    with connection.cursor() as cursor:
        cursor.execute(CURRENT_AND_NEXT.format(table=Reservation._meta.db_table), {"ids": resource_ids, "now": now})
        ids = [row[0] for row in cursor.fetchall()]
    current, upcoming = {}, {}
    for booking in Reservation.objects.filter(pk__in=ids).select_related("owner").order_by("start"):
        if booking.start <= now:
            current[booking.resource_id] = booking
        else:
            upcoming.setdefault(booking.resource_id, booking)
    return current, upcoming


def explorer_tree(*, user, search: str = "", status: str = "") -> list[dict]:
    """[{site, types: [{type, nodes: [Node (depth-first, roots first)]}]}] for the administered sites.
    A search or status filter keeps matching resources and the ancestors that lead to them."""
    sites = administered_site_ids(user)
    now = timezone.now()
    resources = list(
        scope_to_sites(Resource.objects.all(), sites).select_related("site", "resource_type").order_by("name")
    )
    by_id = {r.pk: r for r in resources}
    current, upcoming = _bookings(list(by_id), now)
    hooks = list(scope_to_sites(Webhook.objects.filter(enabled=True), sites))

    nodes = {r.pk: Node(r, current=current.get(r.pk), next=upcoming.get(r.pk)) for r in resources}
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.resource.parent_id)
        (parent.children if parent else roots).append(node)

    def keep(node: Node) -> bool:
        """Prunes children that do not match; True if this node or a descendant matches."""
        node.children = [child for child in node.children if keep(child)]
        needle = search.lower()
        matches = (not needle or needle in node.resource.name.lower() or needle in node.resource.specs.lower()) and (
            not status or node.resource.status == status
        )
        return matches or bool(node.children)

    def flatten(node: Node, depth: int, ancestors: list[int]) -> list[Node]:
        node.depth = depth
        node.webhooks = sum(hook.covers(node.resource, [node.resource.pk, *ancestors]) for hook in hooks)
        rows = [node]
        for child in node.children:
            rows += flatten(child, depth + 1, [node.resource.pk, *ancestors])
        return rows

    tree: dict[int, dict] = {
        site.pk: {"site": site, "types": {}} for site in scope_to_sites(Site.objects.order_by("name"), sites, "id")
    }
    for root in roots:
        if not keep(root):
            continue
        site = tree[root.resource.site_id]
        kind = root.resource.resource_type
        group = site["types"].setdefault(kind.pk, {"type": kind, "nodes": [], "count": 0})
        group["nodes"] += flatten(root, 0, [])
        # The group lists its roots' parts too (a server's GPUs); it counts only its own type.
        group["count"] = sum(node.resource.resource_type_id == kind.pk for node in group["nodes"])
    return [
        {"site": entry["site"], "types": sorted(entry["types"].values(), key=lambda g: g["type"].name)}
        for entry in tree.values()
        if entry["types"] or not (search or status)
    ]
