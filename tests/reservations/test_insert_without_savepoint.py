"""A new booking is one INSERT ... ON CONFLICT DO NOTHING, with no savepoint around it (issue 17):
kept out by the exclusion constraint, the transaction is intact and the 409 still says with what;
any other violation is a Conflict and leaves nothing written."""

from datetime import timedelta

import pytest
from django.db import connection, transaction

from common.exceptions import Conflict
from common.services import validated_insert
from reservations import services
from reservations.models import Reservation
from tests.factories import ResourceFactory, ResourceTypeFactory

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def alone(site_a):
    """A resource alone in its tree: the exclusion constraint, not a query, decides its clashes."""
    return ResourceFactory(site=site_a, resource_type=ResourceTypeFactory(site=site_a, name="Bench"), name="bench-1")


def test_a_clash_kept_out_by_the_constraint_names_the_booking_and_the_transaction_goes_on(member, alone):
    first = services.reservation_create(actor=member, resource=alone, start=at(1, 9), end=at(1, 11), title="mine")
    with transaction.atomic():
        with pytest.raises(Conflict) as refused:
            services.reservation_create(actor=member, resource=alone, start=at(1, 10), end=at(1, 12))
        assert refused.value.code == "overlap"
        assert [c["id"] for c in refused.value.details["conflicts"]] == [first.pk]
        assert "bench-1 is already booked by member" in refused.value.message
        # Nothing failed in PostgreSQL: the same transaction books the free hour after.
        later = services.reservation_create(actor=member, resource=alone, start=at(1, 11), end=at(1, 12))
    assert list(Reservation.objects.filter(resource=alone).order_by("start")) == [first, later]


def test_an_inserted_booking_is_a_saved_instance(member, alone):
    booking = services.reservation_create(actor=member, resource=alone, start=at(2, 9), end=at(2, 10))
    assert booking.pk and not booking._state.adding
    assert booking.blocked_until == booking.end
    assert Reservation.objects.get(pk=booking.pk).created == booking.created


def test_another_violation_is_a_conflict_and_writes_nothing(member, alone):
    # A cleanup beyond the database's bound, past every check before the insert.
    booking = Reservation(
        resource=alone, owner=member, created_by=member, start=at(3, 9), end=at(3, 10), cleanup=timedelta(days=2)
    )
    with pytest.raises(Conflict) as refused, transaction.atomic():
        validated_insert(booking, checked=("resource", "owner", "created_by", "series", "lease"))
    assert "Cleanup lasts between 0 and 24 hours." in refused.value.message
    with connection.cursor() as cursor:  # the atomic block rolled back to before the statement
        cursor.execute("SELECT count(*) FROM reservations_reservation WHERE resource_id = %s", [alone.pk])
        assert cursor.fetchone()[0] == 0
