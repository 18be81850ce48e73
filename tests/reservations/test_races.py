"""Real concurrent connections fighting for the same time on one resource and across a tree."""

import pytest
from django.db import connection

from reservations import services
from reservations.models import Reservation, ReservationStatus
from tests.concurrency import race

from .conftest import at

OVERLAPS_IN_TREE = """
SELECT count(*) FROM reservations_reservation a
JOIN reservations_reservation b ON a.id < b.id
  AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
JOIN resources_resource ra ON ra.id = a.resource_id
JOIN resources_resource rb ON rb.id = b.resource_id
WHERE a.status = 'confirmed' AND b.status = 'confirmed'
  AND (a.resource_id = b.resource_id OR ra.parent_id = rb.id OR rb.parent_id = ra.id)
"""


def overlaps_in_tree() -> int:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS_IN_TREE)
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_twenty_clients_one_slot_one_winner(member, tree, round_):
    gpu = tree["gpu0"]
    # 20 clients, each asking for an hour that overlaps all the others (staggered by minutes).
    calls = [
        (lambda m=m: services.reservation_create(actor=member, resource=gpu, start=at(2, 9, m), end=at(2, 10, m)))
        for m in range(20)
    ]
    outcomes = race(calls)
    winners = [o for o in outcomes if isinstance(o, Reservation)]
    assert len(winners) == 1, outcomes
    assert all(getattr(o, "code", None) == "overlap" for o in outcomes if o is not winners[0]), outcomes
    assert Reservation.objects.filter(status=ReservationStatus.CONFIRMED).count() == 1
    assert overlaps_in_tree() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_twenty_clients_across_a_tree(member, tree, round_):
    """Ten want the whole server, five each GPU, all for the same morning: either the server
    alone wins, or one booking per GPU; never the server and a GPU."""
    targets = [tree["server"]] * 10 + [tree["gpu0"]] * 5 + [tree["gpu1"]] * 5
    calls = [
        (lambda r=r, m=i: services.reservation_create(actor=member, resource=r, start=at(3, 8, m), end=at(3, 11, m)))
        for i, r in enumerate(targets)
    ]
    outcomes = race(calls)
    winners = [o for o in outcomes if isinstance(o, Reservation)]
    won = sorted(w.resource.name for w in winners)
    assert won in (["dgx-01"], ["dgx-01-gpu0", "dgx-01-gpu1"]), outcomes
    assert all(getattr(o, "code", None) == "overlap" for o in outcomes if not isinstance(o, Reservation))
    assert overlaps_in_tree() == 0
