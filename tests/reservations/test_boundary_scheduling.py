"""The beat hands a coming start or end to the workers once, with an ETA at its moment; one that is
due and has not fired (its task lost with a worker) is sent again on every beat."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import tasks
from reservations.models import Reservation

pytestmark = pytest.mark.django_db


def test_a_coming_start_is_handed_over_once(member, tree):
    start = timezone.now() + timedelta(seconds=2)
    Reservation.objects.create(resource=tree["gpu0"], owner=member, start=start, end=start + timedelta(hours=1))
    assert tasks.schedule_boundaries() == 1
    assert tasks.schedule_boundaries() == 0  # the next beats: already with a worker, ETA at its moment


def test_a_due_start_that_has_not_fired_is_sent_on_every_beat(member, tree):
    start = timezone.now() - timedelta(seconds=1)
    Reservation.objects.create(resource=tree["gpu1"], owner=member, start=start, end=start + timedelta(hours=1))
    assert tasks.schedule_boundaries() == 1
    assert tasks.schedule_boundaries() == 1
