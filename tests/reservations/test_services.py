from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from common.exceptions import Conflict, PermissionDenied
from notifications.models import Notification
from reservations import services
from reservations.models import Reservation, ReservationStatus
from resources import services as resource_services

from .conftest import at

pytestmark = pytest.mark.django_db


def book(actor, resource, start, end, **kwargs):
    return services.reservation_create(actor=actor, resource=resource, start=start, end=end, **kwargs)


class TestOverlaps:
    def test_back_to_back_is_fine_overlap_is_a_conflict_naming_what(self, member, second_member, tree):
        book(member, tree["gpu0"], at(1, 9), at(1, 10))
        book(second_member, tree["gpu0"], at(1, 10), at(1, 11))
        with pytest.raises(Conflict) as exc:
            book(second_member, tree["gpu0"], at(1, 9, 30), at(1, 10, 30))
        assert exc.value.code == "overlap"
        assert "dgx-01-gpu0 is already booked from" in exc.value.message
        assert [c["resource_name"] for c in exc.value.details["conflicts"]] == ["dgx-01-gpu0", "dgx-01-gpu0"]
        # A member sees that the time is taken, not by whom.
        assert {c["owner"] for c in exc.value.details["conflicts"]} == {None, "colleague"}

    def test_a_whole_server_and_its_gpus_exclude_each_other_but_sibling_gpus_do_not(self, member, tree):
        book(member, tree["gpu0"], at(1, 9), at(1, 12))
        book(member, tree["gpu1"], at(1, 9), at(1, 12))
        with pytest.raises(Conflict, match="dgx-01-gpu0 is already booked"):
            book(member, tree["server"], at(1, 11), at(1, 13))
        book(member, tree["server"], at(1, 12), at(1, 14))
        with pytest.raises(Conflict, match="dgx-01 is already booked"):
            book(member, tree["gpu1"], at(1, 13), at(1, 15))

    def test_the_database_refuses_overlaps_whatever_door_is_used(self, member, tree):
        first = book(member, tree["gpu0"], at(1, 9), at(1, 10))
        with pytest.raises(IntegrityError), transaction.atomic():
            Reservation.objects.create(resource=tree["gpu0"], owner=member, start=at(1, 9, 30), end=at(1, 11))
        with pytest.raises(IntegrityError), transaction.atomic():
            Reservation.objects.create(resource=tree["gpu0"], owner=member, start=at(1, 11), end=at(1, 10))
        services.reservation_cancel(actor=member, reservation=first)
        Reservation.objects.create(resource=tree["gpu0"], owner=member, start=at(1, 9, 30), end=at(1, 11))

    def test_moving_onto_another_booking_is_refused_and_nothing_changes(self, member, tree):
        a = book(member, tree["gpu0"], at(1, 9), at(1, 10))
        book(member, tree["gpu0"], at(1, 11), at(1, 12))
        with pytest.raises(Conflict):
            services.reservation_update(actor=member, reservation=a, start=at(1, 10, 30), end=at(1, 11, 30))
        a.refresh_from_db()
        assert (a.start, a.end) == (at(1, 9), at(1, 10))
        services.reservation_update(actor=member, reservation=a, end=at(1, 11))  # grow into the gap


class TestRules:
    def test_every_broken_rule_is_named(self, member, tree):
        with pytest.raises(ValidationError) as exc:
            book(member, tree["microscope"], at(1, 10), at(1, 10, 10), parameters={"sample": "gas", "extra": 1})
        errors = exc.value.message_dict
        assert errors["end"] == ["Microscope bookings last at least 30 minutes."]
        assert sorted(errors["parameters"]) == [
            "extra: Unknown parameter; expected one of: sample.",
            "sample: Must be one of: cryo, rt.",
        ]

    def test_duration_horizon_and_past(self, member, tree, site_admin):
        with pytest.raises(ValidationError, match="at most 8 hour"):
            book(member, tree["microscope"], at(1, 8), at(1, 17), parameters={"sample": "rt"})
        with pytest.raises(ValidationError, match="at most 60 day"):
            book(member, tree["microscope"], at(61, 8), at(61, 9), parameters={"sample": "rt"})
        with pytest.raises(ValidationError, match="cannot start in the past"):
            book(member, tree["gpu0"], at(-1, 8), at(1, 9))
        book(site_admin, tree["gpu0"], at(-1, 8), at(-1, 9), owner=member)  # administrators may

    def test_end_after_start(self, member, tree):
        with pytest.raises(ValidationError) as exc:
            book(member, tree["gpu0"], at(1, 10), at(1, 9))
        assert exc.value.message_dict["end"] == ["The end must be after the start."]

    def test_inactive_resources_cannot_be_booked(self, member, tree, admin_user):
        resource_services.resource_status_set(actor=admin_user, resource=tree["gpu0"], status="maintenance")
        with pytest.raises(ValidationError, match="dgx-01-gpu0 is in maintenance"):
            book(member, tree["gpu0"], at(1, 9), at(1, 10))

    def test_who_may_book_for_whom(self, member, second_member, site_admin, outsider, tree):
        with pytest.raises(PermissionDenied, match="Only a site administrator may book for someone else"):
            book(member, tree["gpu0"], at(1, 9), at(1, 10), owner=second_member)
        with pytest.raises(PermissionDenied, match="not a member"):
            book(outsider, tree["gpu0"], at(1, 9), at(1, 10))
        with pytest.raises(ValidationError, match="outsider is not a member of Berlin Lab"):
            book(site_admin, tree["gpu0"], at(1, 9), at(1, 10), owner=outsider)
        booking = book(site_admin, tree["gpu0"], at(1, 9), at(1, 10), owner=member)
        assert booking.owner == member and booking.created_by == site_admin
        with pytest.raises(PermissionDenied, match="Only the owner or a site administrator"):
            services.reservation_cancel(actor=second_member, reservation=booking)


class TestCancelAndNotify:
    def test_cancelled_bookings_stay_with_who_and_when(self, member, site_admin, tree):
        booking = book(member, tree["gpu0"], at(1, 9), at(1, 10))
        services.reservation_cancel(actor=site_admin, reservation=booking)
        booking.refresh_from_db()
        assert booking.status == ReservationStatus.CANCELLED
        assert booking.cancelled_by == site_admin and booking.cancelled_at is not None
        note = Notification.objects.get(user=member)
        assert note.kind == "reservation.cancelled" and "cancelled your booking of dgx-01-gpu0" in note.title

    def test_maintenance_tells_owners_or_cancels_their_bookings(self, member, site_admin, tree):
        keep = book(member, tree["gpu0"], at(1, 9), at(1, 10))
        resource_services.resource_status_set(actor=site_admin, resource=tree["server"], status="maintenance")
        keep.refresh_from_db()
        assert keep.status == ReservationStatus.CONFIRMED
        assert Notification.objects.get(user=member).kind == "resource.status_changed"

        resource_services.resource_status_set(actor=site_admin, resource=tree["server"], status="active")
        resource_services.resource_status_set(
            actor=site_admin, resource=tree["server"], status="unavailable", cancel_future_bookings=True
        )
        keep.refresh_from_db()
        assert keep.status == ReservationStatus.CANCELLED
        assert Notification.objects.filter(user=member, kind="reservation.cancelled").count() == 1


class TestSeries:
    def test_weekly_series_keeps_local_time_across_daylight_saving(self, member, tree):
        # Weekly on Mondays 09:00 Berlin time for 10 weeks: crosses a DST change in spring or autumn.
        result = services.series_create(
            actor=member,
            resource=tree["gpu0"],
            start=at(7, 9),
            end=at(7, 10),
            rrule="FREQ=WEEKLY;COUNT=30",
        )
        assert len(result.created) == 30
        local = [r.start.astimezone(ZoneInfo("Europe/Berlin")) for r in result.created]
        assert {d.strftime("%H:%M") for d in local} == {"09:00"}
        assert len({d.utcoffset() for d in local}) == 2  # 30 weeks always span a DST change

    def test_all_or_nothing_or_skip_conflicts(self, member, tree):
        book(member, tree["gpu0"], at(9, 9), at(9, 10))  # blocks the 3rd daily occurrence
        with pytest.raises(Conflict) as exc:
            services.series_create(
                actor=member, resource=tree["gpu0"], start=at(7, 9), end=at(7, 10), rrule="FREQ=DAILY;COUNT=5"
            )
        assert exc.value.message.startswith("Occurrence ")
        assert Reservation.objects.count() == 1
        result = services.series_create(
            actor=member,
            resource=tree["gpu0"],
            start=at(7, 9),
            end=at(7, 10),
            rrule="FREQ=DAILY;COUNT=5",
            skip_conflicts=True,
        )
        assert len(result.created) == 4 and len(result.skipped) == 1
        assert result.skipped[0]["start"] == at(9, 9).isoformat()

    @pytest.mark.parametrize(
        ("rule", "message"),
        [
            ("FREQ=WEEKLY", "Give COUNT or UNTIL"),
            ("FREQ=HOURLY;COUNT=3", "FREQ must be DAILY, WEEKLY or MONTHLY"),
            ("FREQ=DAILY;COUNT=1000", "at most 200 occurrences"),
            ("FREQ=DAILY;UNTIL=notadate", "is not a date"),
            ("FREQ=DAILY;COUNT=x", "Not a valid RRULE"),
        ],
    )
    def test_bad_rules_are_explained(self, member, tree, rule, message):
        with pytest.raises(ValidationError, match=message):
            services.series_create(actor=member, resource=tree["gpu0"], start=at(7, 9), end=at(7, 10), rrule=rule)

    def test_until_in_utc(self, member, tree):
        until = (at(10, 9) + timedelta(minutes=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        result = services.series_create(
            actor=member, resource=tree["gpu0"], start=at(7, 9), end=at(7, 10), rrule=f"FREQ=DAILY;UNTIL={until}"
        )
        assert len(result.created) == 4

    def test_edit_one_following_or_all(self, member, tree):
        result = services.series_create(
            actor=member, resource=tree["gpu0"], start=at(7, 9), end=at(7, 10), rrule="FREQ=DAILY;COUNT=5"
        )
        occurrences = result.created
        services.series_update(actor=member, reservation=occurrences[0], scope="this", title="kick-off")
        services.series_update(
            actor=member, reservation=occurrences[2], scope="following", start=at(9, 10), end=at(9, 12)
        )
        starts = [(r.start, r.end, r.title) for r in Reservation.objects.order_by("start")]
        assert starts[0] == (at(7, 9), at(7, 10), "kick-off")
        assert starts[1][:2] == (at(8, 9), at(8, 10))
        assert [s[:2] for s in starts[2:]] == [(at(d, 10), at(d, 12)) for d in (9, 10, 11)]
        services.series_update(actor=member, reservation=occurrences[1], scope="all", title="course")
        assert set(Reservation.objects.values_list("title", flat=True)) == {"course"}
        services.series_cancel(actor=member, reservation=occurrences[3], scope="following")
        assert list(Reservation.objects.order_by("start").values_list("status", flat=True)) == [
            "confirmed",
            "confirmed",
            "confirmed",
            "cancelled",
            "cancelled",
        ]

    def test_moving_the_whole_series_onto_itself_by_one_day(self, member, tree):
        result = services.series_create(
            actor=member, resource=tree["gpu0"], start=at(7, 9), end=at(7, 10), rrule="FREQ=DAILY;COUNT=3"
        )
        services.series_update(
            actor=member, reservation=result.created[0], scope="all", start=at(7, 9, 30), end=at(7, 11)
        )
        assert [(r.start, r.end) for r in Reservation.objects.order_by("start")] == [
            (at(d, 9, 30), at(d, 11)) for d in (7, 8, 9)
        ]
