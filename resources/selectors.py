"""Reads of the catalogue. Every list a user sees goes through these, so scoping lives here."""

from contextlib import contextmanager

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from common.web.forms import object_id
from tenancy.access import is_site_member, scope_to_sites, scope_to_sites_or_global, visible_site_ids
from tenancy.models import Site

from .models import Resource, ResourceType
from .tree import MAX_TREE_DEPTH

# A guard against corrupt data: trees are shallow (site > rack > server > GPU).


def visible_sites(*, user) -> QuerySet[Site]:
    return scope_to_sites(Site.objects.all(), visible_site_ids(user), field="pk")


def visible_resource_types(*, user) -> QuerySet[ResourceType]:
    return scope_to_sites_or_global(ResourceType.objects.all(), visible_site_ids(user))


def visible_resources(*, user) -> QuerySet[Resource]:
    return scope_to_sites(Resource.objects.all(), visible_site_ids(user))


def _columns(model, alias: str) -> tuple[list[str], str]:
    fields = [f.attname for f in model._meta.concrete_fields]
    return fields, ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


def _converters(model) -> list[tuple[int, object]]:
    """The fields whose database value Django converts when it reads a row (JSON, ...)."""
    return [(i, f) for i, f in enumerate(model._meta.concrete_fields) if hasattr(f, "from_db_value")]


_WITH_WHAT_BOOKING_NEEDS = [(Resource, "r"), (Site, "s"), (ResourceType, "t"), (Resource, "p")]
_PARTS = [_columns(model, alias) for model, alias in _WITH_WHAT_BOOKING_NEEDS]
_CONVERTED = {model: _converters(model) for model, _ in _WITH_WHAT_BOOKING_NEEDS}
_JOINED = f"""
    SELECT {", ".join(columns for _, columns in _PARTS)}{{children}}
    FROM {Resource._meta.db_table} r
    JOIN {Site._meta.db_table} s ON s.id = r.site_id
    JOIN {ResourceType._meta.db_table} t ON t.id = r.resource_type_id
    LEFT JOIN {Resource._meta.db_table} p ON p.id = r.parent_id
    WHERE r.id = %s
"""
_BOOKABLE = _JOINED.format(children="")
_DETAIL = _JOINED.format(
    children=f", ARRAY(SELECT c.id FROM {Resource._meta.db_table} c WHERE c.parent_id = r.id ORDER BY c.id)"
)


def _resource_joined(user, pk: int, sql: str) -> tuple[Resource, tuple] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    objects, at = [], 0
    for (model, _), (fields, _) in zip(_WITH_WHAT_BOOKING_NEEDS, _PARTS, strict=True):
        values = list(row[at : at + len(fields)])
        at += len(fields)
        for i, field in _CONVERTED[model]:
            values[i] = field.from_db_value(values[i], None, connection)
        objects.append(None if values[0] is None else model.from_db(connection.alias, fields, values))
    resource, site, kind, parent = objects
    if not is_site_member(user, resource.site_id):  # what visible_resources scopes by
        return None
    Resource.site.field.set_cached_value(resource, site)
    Resource.resource_type.field.set_cached_value(resource, kind)
    Resource.parent.field.set_cached_value(resource, parent)
    return resource, row[at:]


def resource_for_booking(*, user, pk: int) -> Resource | None:
    """A resource the user may see, with what a booking write reads of it (its site, type and
    parent), or None. One plain statement: this runs in every booking create, and compiling the
    ORM's query with its three joins was a fifth of one."""
    found = _resource_joined(user, pk, _BOOKABLE)
    return found[0] if found else None


def resource_detail(*, user, pk: int) -> Resource | None:
    """One resource as resource_list gives it (site, type, parent, `children_ids`), by one plain
    statement: the one-object read spent half its time compiling resource_list's query."""
    found = _resource_joined(user, pk, _DETAIL)
    if found is None:
        return None
    resource, (children,) = found
    resource.children_ids = children
    return resource


def site_by_ref(*, user, ref: str) -> Site | None:
    """A site the user may see, by its id or its slug."""
    sites = visible_sites(user=user)
    if ref.isdigit():
        pk = object_id(ref)
        return sites.filter(pk=pk).first() if pk else None
    return sites.filter(slug=ref).first()


def bookable_resources(*, user) -> QuerySet[Resource]:
    """What the user may pick in a booking form: resources of their sites that can be booked now."""
    return visible_resources(user=user).bookable()


def site_list(*, user) -> QuerySet[Site]:
    return visible_sites(user=user).annotate(resource_count=Count("resources", distinct=True)).order_by(Lower("name"))


def resource_type_list(*, user) -> QuerySet[ResourceType]:
    visible = visible_site_ids(user)
    types = visible_resource_types(user=user)
    # A shared type's count covers only the resources this user may see.
    counted = Q() if visible is None else Q(resources__site_id__in=visible)
    return (
        types.select_related("site")
        .annotate(resource_count=Count("resources", filter=counted, distinct=True))
        .order_by(Lower("name"), Lower("site__name"))
    )


def resource_list(*, user) -> QuerySet[Resource]:
    return (
        visible_resources(user=user)
        .select_related("site", "resource_type", "parent")
        .annotate(
            children_ids=ArraySubquery(Resource.objects.filter(parent=OuterRef("pk")).order_by("pk").values("pk"))
        )
        .order_by(Lower("site__name"), Lower("name"))
    )


# Rows of _tree_rows that are not tree members: the locked root, the site's configuration version.
_LOCKED, _VERSION = -1, -2


def _tree_rows(resource_id: int, *, lock_root: bool = False) -> list[tuple[int, int, bool]]:
    """(id, depth, is an ancestor or itself) of the resource's whole tree, in one round trip.
    `lock_root`: the same statement also locks the tree's root row (FOR UPDATE) and reads the
    site's configuration version (a row (version, _VERSION, false))."""
    table = Resource._meta.db_table
    locking = (
        f""", root AS (
                SELECT id FROM {table} WHERE id = (SELECT id FROM up ORDER BY depth DESC LIMIT 1) FOR UPDATE
            )"""
        if lock_root
        else ""
    )
    extra = (
        f"""UNION ALL SELECT id, {_LOCKED}, false FROM root
            UNION ALL SELECT s.config_version, {_VERSION}, false FROM {Site._meta.db_table} s
                JOIN {table} r ON r.site_id = s.id WHERE r.id = %(id)s"""
        if lock_root
        else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE up(id, parent_id, depth) AS (
                SELECT id, parent_id, 0 FROM {table} WHERE id = %(id)s
                UNION ALL
                SELECT r.id, r.parent_id, up.depth + 1 FROM {table} r JOIN up ON r.id = up.parent_id
                WHERE up.depth < %(depth)s
            ), down(id, depth) AS (
                SELECT id, 0 FROM {table} WHERE id = %(id)s
                UNION ALL
                SELECT r.id, down.depth + 1 FROM {table} r JOIN down ON r.parent_id = down.id
                WHERE down.depth < %(depth)s
            ){locking}
            SELECT id, depth, true FROM up UNION ALL SELECT id, depth, false FROM down
            {extra}
            """,
            {"id": resource_id, "depth": MAX_TREE_DEPTH},
        )
        return cursor.fetchall()


def site_config_version(site_id: int | None) -> int:
    """The site's configuration version (see common.db.config_cache); -1 for no site."""
    if site_id is None:
        return -1
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT config_version FROM {Site._meta.db_table} WHERE id = %s", [site_id])
        row = cursor.fetchone()
    return row[0] if row else -1


def config_version_for(resource: Resource) -> int:
    """The configuration version of the resource's site: read once for an operation that runs
    inside `one_configuration(resource)`, else read now."""
    held = resource.__dict__.get("_config_version")
    return held if held is not None else site_config_version(resource.site_id)


@contextmanager
def one_configuration(resource: Resource):
    """One booking operation reads its site's configuration version once (its quota rules,
    booking templates and webhooks are all checked against it), and only for its duration. Right
    after `lock_tree_roots(resource)`, the version that statement read is taken (no query)."""
    at_lock = resource.__dict__.pop("_version_at_lock", None)
    resource.__dict__["_config_version"] = at_lock if at_lock is not None else site_config_version(resource.site_id)
    try:
        yield
    finally:
        resource.__dict__.pop("_config_version", None)


def resource_tree_ids(resource_id: int) -> set[int]:
    """The resource, its ancestors and its descendants, in one round trip."""
    return {pk for pk, _, _ in _tree_rows(resource_id)}


def tree_of(resource: Resource) -> tuple[list[int], set[int]]:
    """(the resource and its ancestors, nearest first; the whole tree: it, its ancestors and its
    descendants), read in one query and kept on the instance: a booking asks three times (the
    root to lock, the bookings that collide, the webhook scopes) within one operation."""
    cached = getattr(resource, "_tree_cache", None)
    if cached is None:
        cached = _keep_tree(resource, _tree_rows(resource.pk))
    return cached


def _keep_tree(resource: Resource, rows) -> tuple[list[int], set[int]]:
    version = next((value for value, depth, _ in rows if depth == _VERSION), None)
    if version is not None:
        resource.__dict__["_version_at_lock"] = version
    members = [row for row in rows if row[1] >= 0]
    ancestors = [pk for pk, _, upward in sorted(members, key=lambda row: row[1]) if upward]
    resource._tree_cache = (ancestors, {pk for pk, _, _ in members})
    return resource._tree_cache


def lock_tree_roots(*resources: Resource) -> None:
    """Lock the root row of each resource's tree, in id order (writers of one tree take turns; two
    trees are always taken in the same order). One resource whose tree is not read yet: the tree
    is read and its root locked in one statement."""
    if len({r.pk for r in resources}) == 1 and getattr(resources[0], "_tree_cache", None) is None:
        _keep_tree(resources[0], _tree_rows(resources[0].pk, lock_root=True))
        return
    roots = sorted({tree_of(r)[0][-1] for r in resources})
    list(Resource.objects.select_for_update().filter(pk__in=roots).order_by("pk").values_list("pk", flat=True))


def resource_tree(*, user, site: Site) -> list[tuple[Resource, int]]:
    """The site's resources in tree order, each with its depth, for catalogue pages."""
    resources = list(resource_list(user=user).filter(site=site))
    by_parent: dict[int | None, list[Resource]] = {}
    for resource in resources:
        by_parent.setdefault(resource.parent_id, []).append(resource)
    ordered: list[tuple[Resource, int]] = []

    def visit(parent_id: int | None, depth: int) -> None:
        for child in by_parent.get(parent_id, []):
            ordered.append((child, depth))
            visit(child.id, depth + 1)

    visit(None, 0)
    return ordered
