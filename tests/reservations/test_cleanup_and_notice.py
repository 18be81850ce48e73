"""Fair use, part one: cleanup time after each booking (kept by PostgreSQL's exclusion constraint
over [start, end + cleanup)) and minimum notice before a booking's start."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from common.exceptions import Conflict
from reservations import rules, selectors, services
from reservations.models import Reservation, ReservationStatus
from tests.concurrency import race
from tests.factories import ResourceFactory, ResourceTypeFactory

from .conftest import at

pytestmark = pytest.mark.django_db

HALF_HOUR = timedelta(minutes=30)


@pytest.fixture
def krios(site_a):
    kind = ResourceTypeFactory(site=site_a, name="Cryo-EM", cleanup=HALF_HOUR, min_notice=timedelta(hours=2))
    return ResourceFactory(site=site_a, resource_type=kind, name="Krios-2")


def book(user, resource, start, end):
    return services.reservation_create(actor=user, resource=resource, start=start, end=end)


class TestCleanup:
    def test_no_booking_starts_in_the_cleanup_after_another(self, member, second_member, krios):
        first = book(member, krios, at(2, 10), at(2, 11))
        assert first.cleanup == HALF_HOUR and first.blocked_until == at(2, 11, 30)
        with pytest.raises(Conflict) as refused:
            book(second_member, krios, at(2, 11), at(2, 12))
        assert "from" in str(refused.value) and "then 30 minutes cleanup" in str(refused.value)
        book(second_member, krios, at(2, 11, 30), at(2, 12))

    def test_a_booking_ends_early_enough_for_its_own_cleanup(self, member, second_member, krios):
        book(member, krios, at(2, 10), at(2, 11))
        with pytest.raises(Conflict) as refused:
            book(second_member, krios, at(2, 8), at(2, 9, 45))
        assert "this booking needs 30 minutes cleanup after it" in str(refused.value)
        book(second_member, krios, at(2, 8), at(2, 9, 30))

    def test_moving_and_extending_respect_the_cleanup(self, member, krios):
        first = book(member, krios, at(2, 10), at(2, 11))
        second = book(member, krios, at(2, 12), at(2, 13))
        with pytest.raises(Conflict):
            services.reservation_update(actor=member, reservation=second, start=at(2, 11, 15))
        with pytest.raises(Conflict):
            services.reservation_update(actor=member, reservation=first, end=at(2, 11, 45))
        services.reservation_update(actor=member, reservation=first, end=at(2, 11, 30))
        first.refresh_from_db()
        assert first.blocked_until == at(2, 12)

    def test_the_resource_may_override_its_types_cleanup(self, member, site_a, krios):
        quick = ResourceFactory(site=site_a, resource_type=krios.resource_type, name="Krios-3", cleanup=timedelta(0))
        book(member, quick, at(2, 10), at(2, 11))
        book(member, quick, at(2, 11), at(2, 12))

    def test_the_database_refuses_what_skips_the_services(self, member, krios):
        book(member, krios, at(2, 10), at(2, 11))
        with pytest.raises(IntegrityError), transaction.atomic():
            Reservation.objects.bulk_create(
                [Reservation(resource=krios, owner=member, start=at(2, 11, 10), end=at(2, 12))]
            )
        # A bulk write without cleanup still gets blocked_until from the trigger.
        Reservation.objects.bulk_create([Reservation(resource=krios, owner=member, start=at(3, 9), end=at(3, 10))])
        assert Reservation.objects.get(start=at(3, 9)).blocked_until == at(3, 10)

    def test_availability_and_the_free_slot_search_leave_room_for_cleanup(self, member, krios):
        book(member, krios, at(2, 10), at(2, 11))
        found = selectors.resource_availability(user=member, resource=krios, start=at(2, 8), end=at(2, 14))
        assert [(i.start, i.end) for i in found["busy"]] == [(at(2, 10), at(2, 11, 30))]
        assert [(i.start, i.end) for i in found["free"]] == [(at(2, 8), at(2, 9, 30)), (at(2, 11, 30), at(2, 14))]
        slot = selectors.first_free_slot(
            user=member, resources=[krios], duration=timedelta(hours=2), after=at(2, 8), before=at(2, 14)
        )
        assert slot == (krios, at(2, 11, 30))

    def test_the_api_and_the_resource_page_tell_it(self, member, member_api, client, krios):
        made = member_api.post(
            "/api/reservations/",
            {"resource": krios.pk, "start": at(2, 10).isoformat(), "end": at(2, 11).isoformat()},
            format="json",
        )
        assert made.status_code == 201, made.content
        assert datetime.fromisoformat(made.json()["cleanup_until"]) == at(2, 11, 30)
        clash = member_api.post(
            "/api/reservations/",
            {"resource": krios.pk, "start": at(2, 11, 10).isoformat(), "end": at(2, 12).isoformat()},
            format="json",
        )
        assert clash.status_code == 409 and "cleanup" in clash.json()["detail"]
        assert "30 minutes cleanup after each booking" in rules.describe(krios)
        client.force_login(member)
        assert "30 minutes cleanup after each booking" in client.get(f"/resources/{krios.pk}/calendar/").text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_twenty_clients_across_a_cleanup_boundary_never_break_it(member, site_a, round_):
    """One booking 10-11 with 30 minutes' cleanup; twenty clients want 30-minute slots (each with its
    own cleanup) starting every three minutes from 11:00 to 11:57, all released at once: only one
    starting at 11:30 or later can win, and only one of those."""
    kind = ResourceTypeFactory(site=site_a, name=f"Cleaned-{round_}", cleanup=HALF_HOUR)
    resource = ResourceFactory(site=site_a, resource_type=kind, name=f"cleaned-{round_}")
    book(member, resource, at(2, 10), at(2, 11))
    starts = [at(2, 11) + timedelta(minutes=3 * i) for i in range(20)]
    outcomes = race(
        [(lambda s=s: book(member, resource, s, s + HALF_HOUR)) for s in starts],
    )
    assert all(isinstance(o, Reservation | Conflict) for o in outcomes), outcomes
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM reservations_reservation a JOIN reservations_reservation b
               ON a.id < b.id AND a.resource_id = b.resource_id
               AND tstzrange(a.start, a."end" + a.cleanup) && tstzrange(b.start, b."end" + b.cleanup)
               WHERE a.status = 'confirmed' AND b.status = 'confirmed'"""
        )
        assert cursor.fetchone()[0] == 0
    winners = Reservation.objects.filter(resource=resource, status=ReservationStatus.CONFIRMED).exclude(start=at(2, 10))
    assert winners.count() == 1 and winners.get().start >= at(2, 11, 30)


class TestNotice:
    def test_a_member_books_at_least_the_notice_ahead(self, member, krios, settings):
        from django.utils import timezone

        soon = (timezone.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
        with pytest.raises(ValidationError) as refused:
            book(member, krios, soon, soon + timedelta(hours=1))
        message = refused.value.message_dict["start"][0]
        assert "made at least 2 hours ahead" in message and "earliest start now is" in message
        later = soon + timedelta(hours=2)
        book(member, krios, later, later + timedelta(hours=1))

    def test_site_administrators_may_book_at_short_notice(self, site_admin, krios):
        from django.utils import timezone

        soon = (timezone.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
        book(site_admin, krios, soon, soon + timedelta(hours=1))

    def test_the_free_slot_search_offers_nothing_inside_the_notice(self, member, krios):
        from django.utils import timezone

        now = timezone.now()
        slot = selectors.first_free_slot(
            user=member, resources=[krios], duration=timedelta(hours=1), after=now, before=now + timedelta(days=1)
        )
        assert slot is not None and slot[1] >= now + timedelta(hours=2)
        assert "booked at least 2 hours ahead" in rules.describe(krios)


def test_every_policy_is_told_before_booking(site_a):
    kind = ResourceTypeFactory(
        site=site_a,
        name="Krios",
        max_duration=timedelta(hours=8),
        cleanup=HALF_HOUR,
        requires_approval=True,
        checkin_window=timedelta(minutes=15),
    )
    said = rules.describe(ResourceFactory(site=site_a, resource_type=kind))
    assert said == (
        "Krios bookings: at most 8 hours, 30 minutes cleanup after each booking, needs a site administrator's "
        "approval, check in within 15 minutes of the start."
    )


def test_the_timeline_shows_cleanup_and_pending_bookings(client, member, site_a, krios):
    from tests.factories import ResourceTypeFactory as Types

    approval = ResourceFactory(site=site_a, resource_type=Types(site=site_a, name="Approval", requires_approval=True))
    book(member, krios, at(2, 10), at(2, 11))
    book(member, approval, at(2, 12), at(2, 13))
    client.force_login(member)
    page = client.get(f"/calendar/berlin/timeline/?date={at(2, 0).date().isoformat()}&days=1").text
    assert 'class="bar cleanup"' in page and ">Cleanup<" in page
    assert 'class="bar pending"' in page and "Pending: " in page
