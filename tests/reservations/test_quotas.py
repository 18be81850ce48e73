"""Quotas: hours per day/week/month in the site's time zone, bookings at once, bookings ahead;
refusals name the rule and the numbers; one person's parallel requests never end above the limit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from common.exceptions import Conflict
from reservations import services
from reservations.models import Reservation, ReservationStatus
from reservations.policies import quotas
from reservations.policies.models import QuotaPeriod, QuotaRule
from tests.concurrency import race
from tests.factories import ResourceFactory, ResourceTypeFactory

from .conftest import BERLIN, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def gpus(site_a):
    kind = ResourceTypeFactory(site=site_a, name="GPU")
    return [ResourceFactory(site=site_a, resource_type=kind, name=f"gpu-{i}") for i in range(4)]


def rule(site, **limits):
    return QuotaRule.objects.create(site=site, **limits)


def book(user, resource, start, end, actor=None):
    return services.reservation_create(actor=actor or user, resource=resource, start=start, end=end, owner=user)


def next_monday(hour: int):
    days = 7 - at(0, 0).weekday()
    return at(days, hour)


def test_hours_per_week_refused_with_the_numbers(member, gpus, site_a):
    rule(site_a, resource_type=gpus[0].resource_type, period=QuotaPeriod.WEEK, max_hours=Decimal(10))
    monday = next_monday(8)
    book(member, gpus[0], monday, monday + timedelta(hours=6))
    book(member, gpus[1], monday + timedelta(days=1), monday + timedelta(days=1, hours=2))
    with pytest.raises(Conflict) as refused:
        book(member, gpus[2], monday + timedelta(days=2), monday + timedelta(days=2, hours=4))
    assert refused.value.code == "quota"
    assert str(refused.value) == (
        f"Quota: 8 h of 10 h used in the week of {monday:%Y-%m-%d} at GPU at Berlin Lab; this booking needs 4 h."
    )
    book(member, gpus[2], monday + timedelta(days=2), monday + timedelta(days=2, hours=2))
    # Another week is another budget.
    book(member, gpus[2], monday + timedelta(days=7), monday + timedelta(days=7, hours=4))


def test_a_booking_across_midnight_counts_in_each_day(member, gpus, site_a):
    rule(site_a, period=QuotaPeriod.DAY, max_hours=Decimal(3))
    book(member, gpus[0], at(2, 20), at(2, 23))  # 3 h on day 2
    with pytest.raises(Conflict, match="3 h of 3 h used on"):
        book(member, gpus[1], at(2, 23), at(3, 1))  # 1 h more on day 2 is too much
    book(member, gpus[1], at(3, 0), at(3, 2))


def test_bookings_at_the_same_time_and_ahead(member, gpus, site_a):
    rule(site_a, period=QuotaPeriod.WEEK, max_concurrent=2, max_future=3)
    book(member, gpus[0], at(2, 9), at(2, 12))
    book(member, gpus[1], at(2, 10), at(2, 11))
    with pytest.raises(Conflict, match="at most 2 bookings at the same time at Berlin Lab; you already hold 2"):
        book(member, gpus[2], at(2, 10, 30), at(2, 13))
    book(member, gpus[2], at(2, 11), at(2, 13))  # gpu-1 ended: two at once again
    with pytest.raises(Conflict, match="3 bookings ahead at Berlin Lab, at most 3"):
        book(member, gpus[3], at(4, 9), at(4, 10))


def test_moving_a_booking_is_counted_without_itself(member, gpus, site_a):
    rule(site_a, period=QuotaPeriod.DAY, max_hours=Decimal(4))
    booking = book(member, gpus[0], at(2, 9), at(2, 12))
    services.reservation_update(actor=member, reservation=booking, start=at(2, 10), end=at(2, 14))
    with pytest.raises(Conflict, match="Quota"):
        services.reservation_update(actor=member, reservation=booking, end=at(2, 15))


def test_a_series_counts_all_its_occurrences(member, gpus, site_a):
    rule(site_a, period=QuotaPeriod.MONTH, max_hours=Decimal(5))
    with pytest.raises(Conflict, match="Quota"):
        services.series_create(
            actor=member, resource=gpus[0], start=at(1, 9), end=at(1, 11), rrule="FREQ=DAILY;COUNT=3"
        )
    assert not Reservation.objects.exists()


def test_site_administrators_are_exempt_unless_configured(site_admin, gpus, site_a, settings):
    rule(site_a, period=QuotaPeriod.DAY, max_hours=Decimal(1))
    book(site_admin, gpus[0], at(2, 9), at(2, 12))
    settings.QUOTA_EXEMPT_ADMINS = False
    with pytest.raises(Conflict, match="Quota"):
        book(site_admin, gpus[1], at(2, 13), at(2, 15))


def test_an_administrator_booking_for_a_member_counts_for_the_member(member, site_admin, gpus, site_a):
    rule(site_a, period=QuotaPeriod.DAY, max_hours=Decimal(2))
    book(member, gpus[0], at(2, 9), at(2, 11))
    with pytest.raises(Conflict, match="2 h of 2 h used"):
        book(member, gpus[1], at(2, 12), at(2, 13), actor=site_admin)


def test_my_quotas_shows_usage_and_the_pages_tell_it(member, member_api, client, gpus, site_a, site_b):
    rule(site_a, resource_type=gpus[0].resource_type, period=QuotaPeriod.WEEK, max_hours=Decimal(40))
    rule(site_b, period=QuotaPeriod.DAY, max_hours=Decimal(1))  # not the member's site
    now_week = quotas.period_of(at(0, 12), QuotaPeriod.WEEK, BERLIN)
    start = max(at(1, 9), now_week.start)
    if start + timedelta(hours=3) <= now_week.end:
        book(member, gpus[0], start, start + timedelta(hours=3))
        expected = 3.0
    else:
        expected = 0.0
    mine = member_api.get("/api/quotas/mine/")
    assert mine.status_code == 200
    assert [(q["scope"], q["max_hours"], q["used_hours"]) for q in mine.json()] == [
        ("GPU at Berlin Lab", "40.00", expected)
    ]
    client.force_login(member)
    page = client.get(f"/resources/{gpus[0].pk}/calendar/").text
    assert "Quota for GPU at Berlin Lab:" in page and "of 40 h used this week" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_twenty_parallel_bookings_by_one_person_never_end_above_the_quota(member, site_a, round_):
    kind = ResourceTypeFactory(site=site_a, name=f"Quota-{round_}")
    resources = [ResourceFactory(site=site_a, resource_type=kind, name=f"q{round_}-{i}") for i in range(20)]
    QuotaRule.objects.create(site=site_a, resource_type=kind, period=QuotaPeriod.DAY, max_hours=Decimal(5))
    outcomes = race([(lambda r=r: book(member, r, at(2, 9), at(2, 10))) for r in resources])
    won = [o for o in outcomes if isinstance(o, Reservation)]
    assert len(won) == 5, outcomes
    assert all(getattr(o, "code", None) == "quota" for o in outcomes if not isinstance(o, Reservation)), outcomes
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT sum(extract(epoch FROM r."end" - r.start)) / 3600 FROM reservations_reservation r '
            "JOIN resources_resource res ON res.id = r.resource_id WHERE res.resource_type_id = %s AND r.status = %s",
            [kind.pk, ReservationStatus.CONFIRMED],
        )
        assert cursor.fetchone()[0] == 5


def test_a_teams_quota_counts_its_members_together(member, second_member, gpus, site_a):
    from django.contrib.auth.models import Group

    team = Group.objects.create(name="/teams/vision")
    member.groups.add(team)
    second_member.groups.add(team)
    rule(site_a, group=team, period=QuotaPeriod.DAY, max_hours=Decimal(3))
    book(member, gpus[0], at(2, 9), at(2, 11))
    with pytest.raises(Conflict) as refused:
        book(second_member, gpus[1], at(2, 12), at(2, 14))
    assert "2 h of 3 h used on" in str(refused.value) and "Berlin Lab for /teams/vision" in str(refused.value)
    book(second_member, gpus[1], at(2, 12), at(2, 13))


def test_the_provider_sets_teams(member):
    from accounts.oidc import claims

    claims.apply(member, {"sub": "x", "groups": ["/teams/vision", "/teams/robotics/", "/other"]})
    assert sorted(member.groups.values_list("name", flat=True)) == ["/teams/robotics", "/teams/vision"]
    from django.contrib.auth.models import Group

    member.groups.add(Group.objects.create(name="by hand"))
    claims.apply(member, {"sub": "x", "groups": ["/teams/vision"]})
    assert sorted(member.groups.values_list("name", flat=True)) == ["/teams/vision", "by hand"]


@pytest.mark.django_db(transaction=True)
def test_twenty_members_of_one_team_never_end_above_its_quota(site_a):
    from django.contrib.auth.models import Group

    from tenancy.models import Membership, Role
    from tests.factories import UserFactory

    team = Group.objects.create(name="/teams/race")
    kind = ResourceTypeFactory(site=site_a, name="Team-race")
    resources = [ResourceFactory(site=site_a, resource_type=kind, name=f"t-{i}") for i in range(20)]
    people = [UserFactory(username=f"team-{i}") for i in range(20)]
    for person in people:
        Membership.objects.create(site=site_a, user=person, role=Role.MEMBER)
        person.groups.add(team)
    QuotaRule.objects.create(site=site_a, group=team, period=QuotaPeriod.DAY, max_hours=Decimal(4))
    outcomes = race(
        [(lambda p=p, r=r: book(p, r, at(2, 9), at(2, 10))) for p, r in zip(people, resources, strict=True)]
    )
    assert len([o for o in outcomes if isinstance(o, Reservation)]) == 4, outcomes
