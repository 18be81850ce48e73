"""Helpers every service uses to turn database refusals into domain errors."""

from collections.abc import Iterable

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, connections, models, transaction
from django.db.models import ProtectedError, RestrictedError

from .db.inserts import insert_row
from .exceptions import Conflict


def _constraint_message(instance: models.Model, exc: IntegrityError) -> str:
    name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    for constraint in instance._meta.constraints:
        if constraint.name == name:
            return str(constraint.violation_error_message) % {"name": name}
    return f"This {instance._meta.verbose_name} conflicts with existing data."


def validated_save(
    instance: models.Model, *, update_fields: Iterable[str] | None = None, checked: Iterable[str] = ()
) -> None:
    """full_clean() then save; a race lost to a concurrent writer becomes a Conflict, not a 500.
    `checked`: relations the caller has just read (no query to see that they exist); with any,
    the database's constraints are left to the database (each would cost a query and a savepoint
    here only for the database to check it again), their violations still becoming a Conflict."""
    checked = list(checked)
    instance.full_clean(exclude=checked or None, validate_constraints=not checked)
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise Conflict(_constraint_message(instance, exc)) from exc


def validated_insert(instance: models.Model, *, checked: Iterable[str]) -> bool:
    """validated_save for a new row that an exclusion (or unique) constraint may keep out, in one
    statement and no savepoint: INSERT ... ON CONFLICT DO NOTHING RETURNING. False when the row was
    kept out: nothing failed, so the transaction goes on and the caller can say with what it
    clashes. Any other violation raises a Conflict with the transaction aborted (the caller's
    atomic block, which it propagates through, rolls it back)."""
    instance.full_clean(exclude=list(checked) or None, validate_constraints=False)
    try:
        # Model.save() has no way to ask for ON CONFLICT; insert_row writes the same row with it.
        return insert_row(instance, on_conflict_nothing=True)
    except IntegrityError as exc:
        raise Conflict(_constraint_message(instance, exc)) from exc


def apply_changes(instance: models.Model, changes: dict, *, allowed: Iterable[str]) -> list[str]:
    """Set the given fields on the instance; returns the names that actually changed."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    changed = []
    for field, value in changes.items():
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


def _label(obj: models.Model) -> str:
    """How a blocking object is named; the collector loads blockers with deferred fields, and one
    gone by the time it is named (a concurrent delete) is named by its id, not a server error."""
    try:
        return str(obj)
    except ObjectDoesNotExist:
        return f"{obj._meta.verbose_name} #{obj.pk}"


def _delete_checked_now(instance: models.Model) -> None:
    """Django's foreign keys are checked at commit; checked at the DELETE instead, a dependant
    committed after the collector looked fails here, inside the savepoint, not as a 500 at commit."""
    pk = instance.pk
    try:
        with transaction.atomic(using=instance._state.db):
            instance.delete()
            with connections[instance._state.db].cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except IntegrityError:
        instance.pk = pk  # delete() cleared it; the deletion was rolled back
        raise


def _delete_once_more_if_raced(instance: models.Model) -> None:
    """A dependant that appeared meanwhile fails the foreign key; collecting again sees it (a
    protected one is then named, a cascading one deleted with the instance)."""
    try:
        for attempt in range(2):
            try:
                _delete_checked_now(instance)
                return
            except (ProtectedError, RestrictedError):
                raise  # subclasses of IntegrityError: the collector saw the dependants
            except IntegrityError as exc:
                if attempt:
                    raise Conflict(
                        f"{str(instance._meta.verbose_name).capitalize()} '{_label(instance)}' gained dependants "
                        "while it was being deleted; try again.",
                        code="in_use",
                    ) from exc
    finally:
        with connections[instance._state.db].cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def guarded_delete(instance: models.Model) -> None:
    """Delete, or explain which objects still depend on this one."""
    try:
        _delete_once_more_if_raced(instance)
    except (ProtectedError, RestrictedError) as exc:
        blockers = sorted(
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects, key=_label
        )
        counts: dict[type, int] = {}
        for blocker in blockers:
            counts[type(blocker)] = counts.get(type(blocker), 0) + 1
        kinds = " and ".join(
            f"{n} {model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}"
            for model, n in counts.items()
        )
        names = ", ".join(_label(b) for b in blockers[:10])
        more = f" and {len(blockers) - 10} more" if len(blockers) > 10 else ""
        raise Conflict(
            f"{str(instance._meta.verbose_name).capitalize()} '{_label(instance)}' is in use by {kinds}: "
            f"{names}{more}. "
            "Reassign or delete them first.",
            code="in_use",
            details={"in_use_by": [{"type": b._meta.model_name, "id": b.pk, "name": _label(b)} for b in blockers[:50]]},
        ) from exc
