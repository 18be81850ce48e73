"""One row's INSERT by a statement written once per model (issue 39). Django's insert compiler
builds the SQL of every `create()` again, about a millisecond for a row of fifteen columns; the
booking write inserts three such rows (the booking, its audit entry, its event). Values are
prepared exactly as Django's compiler prepares them (`pre_save`, then `get_db_prep_save`), so a
row written here reads back the same as one written by `save()`."""

from functools import cache

from django.db import connection, models


@cache
def _statement(model: type[models.Model], with_pk: bool, on_conflict_nothing: bool) -> tuple[str, list, list]:
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated and (with_pk or f is not meta.auto_field)]
    if any(f.db_default is not models.NOT_PROVIDED for f in fields):
        raise ValueError(f"{meta.label} has database defaults; insert it with save().")
    returning = meta.db_returning_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    slots = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES ({slots})"  # noqa: S608 - model names
    if on_conflict_nothing:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(connection.ops.quote_name(f.column) for f in returning)
    return sql, fields, returning


def insert_row(instance: models.Model, *, on_conflict_nothing: bool = False) -> bool:
    """INSERT the new `instance` in one statement (no signals, no savepoint; the caller's
    transaction holds it). `on_conflict_nothing`: a row a unique or exclusion constraint keeps out
    is not written and False is returned. The database's returned values (the id) are set on it."""
    meta = instance._meta
    with_pk = meta.auto_field is None or instance.pk is not None
    sql, fields, returning = _statement(type(instance), with_pk, on_conflict_nothing)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone() if returning else ()
    if row is None:
        return False
    for value, field in zip(row, returning, strict=True):
        setattr(instance, field.attname, value)
    instance._state.adding, instance._state.db = False, connection.alias
    return True
