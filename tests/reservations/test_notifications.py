"""What owners are told: one notice per change of a resource, listing their bookings; when it is back;
and, for a change someone else made, what it was and what it is now."""

import pytest

from notifications.models import Notification
from reservations import services
from resources import services as resources

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(member, tree):
    return [
        services.reservation_create(actor=member, resource=tree["gpu0"], start=at(d, 9), end=at(d, 10), title=f"t{d}")
        for d in (1, 2, 3)
    ]


def test_one_notice_per_status_change_listing_the_bookings_and_one_when_back(member, site_admin, tree, three):
    resources.resource_status_set(actor=site_admin, resource=tree["server"], status="maintenance")
    (notice,) = Notification.objects.filter(user=member)
    assert notice.title == "dgx-01 is now in maintenance: check your 3 bookings"
    assert notice.body.count("- dgx-01-gpu0: ") == 3 and "t2" in notice.body
    resources.resource_status_set(actor=site_admin, resource=tree["server"], status="active")
    back = Notification.objects.filter(user=member).exclude(pk=notice.pk).get()
    assert back.title == "dgx-01 is back in service: your 3 bookings can go ahead"


def test_cancelling_with_the_status_change_tells_each_owner_once(member, site_admin, tree, three):
    resources.resource_status_set(
        actor=site_admin, resource=tree["server"], status="unavailable", cancel_future_bookings=True
    )
    (notice,) = Notification.objects.filter(user=member)
    assert notice.title == "dgx-01 is unavailable: your 3 bookings cancelled"
    assert {b.status for b in type(three[0]).objects.all()} == {"cancelled"}


def test_a_change_by_someone_else_says_what_it_was_and_what_it_is(member, site_admin, tree, three):
    services.reservation_update(actor=site_admin, reservation=three[0], start=at(1, 11), end=at(1, 12))
    notice = Notification.objects.get(user=member, kind="reservation.updated")
    assert notice.body.startswith("Was: dgx-01-gpu0, ")
    assert f"{at(1, 9):%H:%M}\u2013{at(1, 10):%H:%M}" in notice.body
    assert f"Now: dgx-01-gpu0, {at(1, 11):%a %Y-%m-%d %H:%M}\u2013{at(1, 12):%H:%M}" in notice.body
