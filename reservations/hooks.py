"""Where the fair-use policies and leases take part in a booking write, without the core knowing them.

The core (services, selectors, tasks) calls these; the parts above it fill them in
ReservationsConfig.ready() (reservations/apps.py), the one place that names who takes part and in
which order. This is the same direction the registry app takes with `events.react_to_bookings`:
a lower layer offers the registry, a higher one fills it.

Every call happens inside the transaction of the booking write that makes it, so a policy's refusal
rolls the write back and a policy's reaction commits or fails with it.
"""

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Span:
    """The time a booking asks for."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Closure:
    """Time in which a resource cannot be booked, and why (told to whoever tries)."""

    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True)
class Deadline:
    """A moment a booking carries after which a policy acts on it once (approval expiry, no-show).
    The start/end scheduler hands each coming one to the workers at its moment."""

    kind: str
    field: str  # the booking's field that holds the moment
    pending: Callable  # () -> bookings whose deadline of this kind has not been acted on
    run: Callable  # (now=, limit=, pk=) -> how many bookings it acted on


@dataclass(frozen=True)
class Offer:
    """What the catalogue and the booking form show instead of "Book" for a resource a person may
    not book yet (training required), and the action that leads there."""

    note: str
    action: str
    url: str


@dataclass(frozen=True)
class Choice:
    """A choice the booking form and the API offer for an app above the core (the project a booking
    is charged to). The surface hands the value over with `choosing`; the app reads it with `chosen`
    in its check and after-created steps, inside the same write."""

    name: str
    label: str
    help: str
    options: Callable  # (user, site) -> [(id, label)]; empty: not offered there. site None: any of theirs
    initial: Callable  # (user, site) -> id or None


_choices: list[Choice] = []
_chosen: ContextVar[dict | None] = ContextVar("booking_choices", default=None)


def offer_choice(choice: Choice) -> None:
    if all(c.name != choice.name for c in _choices):
        _choices.append(choice)


def choices() -> list[Choice]:
    return list(_choices)


def choices_offered(user, site) -> list[tuple[Choice, list, object]]:
    """The choices a form offers this person at the site (any of theirs: None), with their options
    and initial value; a choice without options is not offered."""
    found = []
    for choice in _choices:
        options = choice.options(user, site)
        if options:
            found.append((choice, options, choice.initial(user, site)))
    return found


def picked(data: dict) -> dict:
    """Takes the choices out of a surface's cleaned data (they are not the booking's fields)."""
    return {choice.name: data.pop(choice.name, None) for choice in _choices}


@contextmanager
def choosing(values: dict):
    """What the person chose for the booking written inside this block."""
    token = _chosen.set({k: v for k, v in values.items() if v not in (None, "")})
    try:
        yield
    finally:
        _chosen.reset(token)


def chosen(name: str):
    return (_chosen.get() or {}).get(name)


# Refusals of who may book a resource at all, for what books nothing yet (joining a waitlist; a
# booking write says the same in its checks): admit(*, owner, resource) raises.
_admissions: list[Callable] = []
# Offers instead of Book: offers(user, resources) -> {resource id: Offer}.
_offers: list[Callable] = []
# Fields a booking takes before it is written: prepare(reservation, *, actor, changed).
# `changed` is None for a new booking, else the names of the fields a change touched.
_preparations: list[Callable] = []
# Refusals before a booking is written: check(*, owner, resource, spans, exclude, changed) raises.
_checks: list[Callable] = []
# Time closed to bookings: closed(resources, start, end) -> {resource id: [Closure]}.
_closures: list[Callable] = []
# After new bookings are written and announced: created(bookings, *, actor).
_created: list[Callable] = []
# After a booking write freed time of a resource's tree: freed(resource, start, end).
_freed: list[Callable] = []
# Around the start/end task of one booking: locked(reservation_id) before its row is locked,
# reached(booking, kind, now, *, fire) after its boundary fired (fire(booking, kind, now) fires another).
_boundary_locks: list[Callable] = []
_boundaries: list[Callable] = []
_deadlines: dict[str, Deadline] = {}


def _add(hooks: list[Callable], step: Callable) -> None:
    if step not in hooks:  # an app registry populated again (tests) must not run a step twice
        hooks.append(step)


def admit_with(admit: Callable) -> None:
    _add(_admissions, admit)


def offer_with(offers: Callable) -> None:
    _add(_offers, offers)


def prepare_with(prepare: Callable) -> None:
    _add(_preparations, prepare)


def check_with(check: Callable) -> None:
    _add(_checks, check)


def close_with(closed: Callable) -> None:
    _add(_closures, closed)


def after_created(created: Callable) -> None:
    _add(_created, created)


def after_freed(freed: Callable) -> None:
    _add(_freed, freed)


def around_boundaries(*, lock: Callable | None = None, reached: Callable | None = None) -> None:
    if lock is not None:
        _add(_boundary_locks, lock)
    if reached is not None:
        _add(_boundaries, reached)


def deadline(entry: Deadline) -> None:
    _deadlines[entry.kind] = entry


# --- What the core calls ---------------------------------------------------------------------------


def admit(*, owner, resource) -> None:
    for step in _admissions:
        step(owner=owner, resource=resource)


def offers(user, resources) -> dict[int, Offer]:
    found: dict[int, Offer] = {}
    for step in _offers:
        found.update(step(user, resources))
    return found


def prepare(reservation, *, actor, changed: frozenset[str] | None = None) -> None:
    for step in _preparations:
        step(reservation, actor=actor, changed=changed)


def check(*, owner, resource, spans: list[Span], exclude: Iterable[int] = (), changed=None) -> None:
    for step in _checks:
        step(owner=owner, resource=resource, spans=spans, exclude=list(exclude), changed=changed)


def closed(resources, start: datetime, end: datetime) -> dict[int, list[Closure]]:
    found: dict[int, list[Closure]] = {r.pk: [] for r in resources}
    for step in _closures:
        for pk, closures in step(resources, start, end).items():
            found[pk].extend(closures)
    return found


def created(bookings: list, *, actor) -> None:
    for step in _created:
        step(bookings, actor=actor)


def freed(resource, start: datetime, end: datetime) -> None:
    for step in _freed:
        step(resource, start, end)


def lock_for_boundary(reservation_id: int) -> None:
    for step in _boundary_locks:
        step(reservation_id)


def boundary_reached(booking, kind: str, now: datetime, *, fire: Callable) -> None:
    for step in _boundaries:
        step(booking, kind, now, fire=fire)


def deadlines() -> list[Deadline]:
    return list(_deadlines.values())


def deadline_of(kind: str) -> Deadline:
    return _deadlines[kind]


# --- Pages ------------------------------------------------------------------------------------------
# What apps above the core show on a booking's page and a resource's page (section(request, obj) ->
# safe HTML or ""), and how the timeline colours running bookings by use (marks(bookings) ->
# {booking id: ("active" | "idle" | "unknown", words for the bar's card)}).
_booking_sections: list[Callable] = []
_resource_sections: list[Callable] = []
_bar_marks: list[Callable] = []


def show_on_pages(*, booking: Callable | None = None, resource: Callable | None = None, marks=None) -> None:
    for hooks, step in ((_booking_sections, booking), (_resource_sections, resource), (_bar_marks, marks)):
        if step is not None:
            _add(hooks, step)


def booking_sections(request, booking) -> list:
    return [html for section in _booking_sections if (html := section(request, booking))]


def resource_sections(request, resource) -> list:
    return [html for section in _resource_sections if (html := section(request, resource))]


def bar_marks(bookings) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    for marks in _bar_marks:
        found.update(marks(bookings))
    return found
