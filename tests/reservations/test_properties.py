"""Random bookings, moves and cancellations against a model of what should fit."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.exceptions import Conflict
from reservations import services
from reservations.models import Reservation, ReservationStatus

from .conftest import at
from .test_races import overlaps_in_tree

RESOURCES = ["server", "gpu0", "gpu1"]
EXCLUDES = {  # which resources' bookings exclude each other (a resource, its parent, its children)
    "server": {"server", "gpu0", "gpu1"},
    "gpu0": {"gpu0", "server"},
    "gpu1": {"gpu1", "server"},
}

book_op = st.tuples(st.just("book"), st.sampled_from(RESOURCES), st.integers(0, 20), st.integers(1, 4))
move_op = st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 20), st.integers(1, 4))
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 30), st.just(0), st.just(0))


def fits(model: dict, name: str, start: int, length: int, ignore=None) -> bool:
    return not any(
        key != ignore and other in EXCLUDES[name] and s < start + length and start < s + n
        for key, (other, s, n) in model.items()
    )


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.one_of(book_op, move_op, cancel_op), min_size=1, max_size=25))
def test_never_an_overlap_and_never_a_wrong_refusal(member, tree, ops):
    base = at(2, 0)

    def hour(h):
        return base + timedelta(hours=h)

    with transaction.atomic():
        model: dict[int, tuple[str, int, int]] = {}  # booking id -> (resource, start hour, hours)
        for kind, a, start, length in ops:
            if kind == "book":
                expected = fits(model, a, start, length)
                try:
                    booking = services.reservation_create(
                        actor=member, resource=tree[a], start=hour(start), end=hour(start + length)
                    )
                except Conflict:
                    assert not expected, f"refused a booking that fits: {a} {start}+{length} with {model}"
                else:
                    assert expected, f"accepted an overlap: {a} {start}+{length} with {model}"
                    model[booking.pk] = (a, start, length)
            elif model:
                key = sorted(model)[a % len(model)]
                booking = Reservation.objects.get(pk=key)
                if kind == "cancel":
                    services.reservation_cancel(actor=member, reservation=booking)
                    del model[key]
                else:
                    name = model[key][0]
                    expected = fits(model, name, start, length, ignore=key)
                    try:
                        services.reservation_update(
                            actor=member, reservation=booking, start=hour(start), end=hour(start + length)
                        )
                    except (Conflict, ValidationError) as exc:
                        assert not expected, f"refused a move that fits: {exc}"
                    else:
                        assert expected, "accepted a move onto another booking"
                        model[key] = (name, start, length)
            assert overlaps_in_tree() == 0
        confirmed = set(Reservation.objects.filter(status=ReservationStatus.CONFIRMED).values_list("pk", flat=True))
        assert confirmed == set(model)
        transaction.set_rollback(True)
