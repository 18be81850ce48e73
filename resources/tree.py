"""Walks of the resource tree in SQL (one recursive query each). Below the models: a resource's own
validation (no cycles) walks its ancestors, and the selectors build on these."""

from django.apps import apps
from django.db import connection

MAX_TREE_DEPTH = 64


def _table() -> str:
    return apps.get_model("resources", "Resource")._meta.db_table


def _walk(sql: str, resource_id: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"id": resource_id, "depth": MAX_TREE_DEPTH})
        return [row[0] for row in cursor.fetchall()]


def resource_ancestor_ids(resource_id: int) -> list[int]:
    """The resource and its ancestors, nearest first."""
    table = _table()
    return _walk(
        f"""
        WITH RECURSIVE up(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM {table} WHERE id = %(id)s
            UNION ALL
            SELECT r.id, r.parent_id, up.depth + 1 FROM {table} r JOIN up ON r.id = up.parent_id
            WHERE up.depth < %(depth)s
        )
        SELECT id FROM up ORDER BY depth
        """,
        resource_id,
    )


def resource_descendant_ids(resource_id: int) -> list[int]:
    """The resource and everything below it, breadth first."""
    table = _table()
    return _walk(
        f"""
        WITH RECURSIVE down(id, depth) AS (
            SELECT id, 0 FROM {table} WHERE id = %(id)s
            UNION ALL
            SELECT r.id, down.depth + 1 FROM {table} r JOIN down ON r.parent_id = down.id
            WHERE down.depth < %(depth)s
        )
        SELECT id FROM down ORDER BY depth, id
        """,
        resource_id,
    )
