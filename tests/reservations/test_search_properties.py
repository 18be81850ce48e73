"""The free-slot search offers only what the same user can book, and nothing earlier was bookable:
random type rules (duration limits, horizon), random bookings on a server and its GPUs, resources
out of service, members and site administrators."""

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.exceptions import Conflict
from reservations import selectors, services
from reservations.models import Reservation
from resources.models import Resource, ResourceStatus, ResourceType

NOW = datetime(2027, 3, 1, 9, 7, 30, tzinfo=UTC)  # not on a whole minute, on purpose
NAMES = ["server", "gpu0", "gpu1"]
HOURS = [timedelta(minutes=m) for m in (15, 30, 60, 90, 120, 240, 540)]


class _Undo(Exception):
    pass


def bookable(user, resource, start, duration) -> bool:
    try:
        with transaction.atomic():
            services.reservation_create(actor=user, resource=resource, start=start, end=start + duration)
            raise _Undo
    except _Undo:
        return True
    except (Conflict, ValidationError):
        return False


rules_strategy = st.fixed_dictionaries(
    {
        "min_duration": st.sampled_from([None, timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)]),
        "max_duration": st.sampled_from([None, timedelta(hours=1), timedelta(hours=3), timedelta(hours=8)]),
        "max_horizon": st.sampled_from([None, timedelta(hours=6), timedelta(days=1), timedelta(days=3)]),
    }
).filter(lambda r: not (r["min_duration"] and r["max_duration"] and r["max_duration"] < r["min_duration"]))
booking_strategy = st.tuples(st.sampled_from(NAMES), st.integers(-6, 72), st.integers(1, 6))


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rules=rules_strategy,
    bookings=st.lists(booking_strategy, max_size=8),
    down=st.sets(st.sampled_from(NAMES), max_size=2),
    role=st.sampled_from(["member", "site_admin"]),
    duration=st.sampled_from(HOURS),
    after_hours=st.integers(-10, 48),
    window_hours=st.integers(1, 96),
)
def test_the_search_offers_the_earliest_slot_the_user_can_book(
    site_a, member, site_admin, rules, bookings, down, role, duration, after_hours, window_hours
):
    user = {"member": member, "site_admin": site_admin}[role]
    with freeze_time(NOW), transaction.atomic():
        kind = ResourceType.objects.create(site=site_a, name="GPU node", color="#336699")
        server = Resource.objects.create(site=site_a, resource_type=kind, name="server")
        tree = {
            "server": server,
            "gpu0": Resource.objects.create(site=site_a, resource_type=kind, name="gpu0", parent=server),
            "gpu1": Resource.objects.create(site=site_a, resource_type=kind, name="gpu1", parent=server),
        }
        for name, offset, length in bookings:
            start = NOW.replace(second=0) + timedelta(hours=offset)
            with contextlib.suppress(Conflict):
                services.reservation_create(
                    actor=site_admin, resource=tree[name], start=start, end=start + timedelta(hours=length)
                )
        ResourceType.objects.filter(pk=kind.pk).update(**rules)
        Resource.objects.filter(pk__in=[tree[n].pk for n in down]).update(status=ResourceStatus.MAINTENANCE)
        candidates = list(
            Resource.objects.filter(pk__in=[r.pk for r in tree.values()])
            .select_related("resource_type", "site")
            .order_by("name")
        )
        after = NOW + timedelta(hours=after_hours)
        before = after + timedelta(hours=window_hours)

        try:
            found = selectors.first_free_slot(
                user=user, resources=candidates, duration=duration, after=after, before=before
            )
        except ValidationError:
            kind.refresh_from_db()
            assert (kind.min_duration and duration < kind.min_duration) or (
                kind.max_duration and duration > kind.max_duration
            )
            transaction.set_rollback(True)
            return

        if found is not None:
            resource, start = found
            assert after <= start and start + duration <= before
            assert bookable(user, resource, start, duration), f"offered {resource} at {start} but refused"
        # Nothing earlier was bookable: a free stretch begins at `after`, at "now" or at a booking's end.
        ends = Reservation.objects.filter(status="confirmed").values_list("end", flat=True)
        earliest = after if role == "site_admin" else max(after, NOW.replace(second=0) + timedelta(minutes=1))
        starts = sorted({earliest, *(e for e in ends if earliest <= e)})
        limit = found[1] if found is not None else before
        for start in (s for s in starts if s < limit and s + duration <= before):
            for resource in candidates:
                assert not bookable(user, resource, start, duration), f"missed {resource} at {start}"
        transaction.set_rollback(True)
