"""Lost-update protection for forms (pages and admin): the form carries the version it was made
from (the row's `updated` stamp) and the save is refused, with nothing written, if the row changed
since; checked under the row lock in the transaction of the save."""

from common.exceptions import PreconditionFailed


def version_of(instance) -> str:
    return instance.updated.isoformat()


def require_current(model, pk: int, seen: str | None, what: str = "This") -> None:
    """Call inside the transaction that saves. `seen` empty (an old form, a script): no check."""
    if not seen:
        return
    current = model.objects.select_for_update().get(pk=pk)
    if version_of(current) != seen:
        raise PreconditionFailed(
            f"{what} was changed by someone else after you opened it; nothing was saved. "
            "Reload the page to see the current version.",
            details={"version": version_of(current)},
        )
