"""Training racing bookings on real connections: each race has one outcome."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.exceptions import Conflict, PermissionDenied
from reservations import services as bookings
from reservations.models import HOLDING, Reservation
from tests.concurrency import race
from training import services
from training.models import Qualification, TrainingRequest

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 6


def test_a_revocation_that_cancels_upcoming_bookings_never_misses_one_made_meanwhile(member, trainer, microscopes):
    for round_ in range(ROUNDS):
        qualification = services.qualification_grant(actor=trainer, user=member, requirement=microscopes["requirement"])
        start = timezone.now() + timedelta(days=1 + round_)
        outcomes = race(
            [
                lambda start=start: bookings.reservation_create(
                    actor=member, resource=microscopes["krios"], start=start, end=start + timedelta(hours=1)
                ),
                lambda q=qualification: services.qualification_revoke(
                    actor=trainer, qualification=q, cancel_upcoming=True
                ),
            ]
        )
        assert not isinstance(outcomes[1], Exception), outcomes[1]
        assert isinstance(outcomes[0], Reservation | PermissionDenied), outcomes[0]
        standing = Reservation.objects.filter(owner=member, resource=microscopes["krios"], status__in=HOLDING)
        assert not standing.exists(), f"round {round_}: {outcomes}"


def test_eight_requests_at_once_leave_one_open(member, microscopes):
    outcomes = race(
        [lambda: services.training_request_create(actor=member, requirement=microscopes["requirement"])] * 8
    )
    assert sum(isinstance(o, TrainingRequest) for o in outcomes) == 1
    assert all(isinstance(o, TrainingRequest | Conflict) for o in outcomes), outcomes
    assert TrainingRequest.objects.filter(status="open").count() == 1


def test_two_trainers_granting_at_once_leave_one_standing_qualification(member, trainer, site_admin, microscopes):
    outcomes = race(
        [
            lambda who=who: services.qualification_grant(actor=who, user=member, requirement=microscopes["requirement"])
            for who in (trainer, site_admin) * 3
        ]
    )
    assert all(isinstance(o, Qualification | Conflict) for o in outcomes), outcomes
    assert Qualification.objects.filter(user=member, revoked_at__isnull=True).count() == 1
