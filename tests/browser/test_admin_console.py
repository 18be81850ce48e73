"""Operators in the admin (issue 13): find a booking by its filters and cancel it with a reason; a site
administrator's console holds only their sites."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reservations import services
from reservations.models import Reservation
from tenancy.models import Membership, Role
from tests.browser.support import log_in
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sites(transactional_db):
    berlin = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    boston = SiteFactory(name="Boston DC", slug="boston", time_zone="America/New_York")
    gpu = ResourceTypeFactory(name="GPU")
    member = UserFactory(username="member")
    operator = UserFactory(username="operator", is_staff=True)
    Membership.objects.create(site=berlin, user=member, role=Role.MEMBER)
    Membership.objects.create(site=boston, user=member, role=Role.MEMBER)
    Membership.objects.create(site=berlin, user=operator, role=Role.ADMIN)
    soon = timezone.now().replace(microsecond=0) + timedelta(days=2)
    for site, name in ((berlin, "berlin-gpu"), (boston, "boston-gpu")):
        resource = ResourceFactory(site=site, resource_type=gpu, name=name)
        for hours, title in ((0, f"{name} training"), (3, f"{name} evaluation")):
            start = soon + timedelta(hours=hours)
            services.reservation_create(
                actor=member, resource=resource, start=start, end=start + timedelta(hours=1), title=title
            )
    return {"operator": operator}


def test_an_operator_finds_a_booking_by_filters_and_cancels_it_with_a_reason(page, live_server, sites):
    log_in(page, live_server, "operator")
    page.goto(f"{live_server.url}/admin/")
    page.locator("a[href='/admin/reservations/reservation/']").first.click()
    expect(page.locator("#result_list")).to_contain_text("berlin-gpu training")
    expect(page.locator("#result_list")).not_to_contain_text("boston-gpu")  # only their site
    page.get_by_role("link", name="Upcoming").click()
    page.locator("#searchbar").fill("evaluation")
    page.locator("#searchbar").press("Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("cancel_with_reason")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("#content")).to_contain_text("berlin-gpu")
    page.get_by_label("Reason").fill("the node is being re-cabled")
    page.get_by_role("button", name="Cancel the bookings").click()
    expect(page.locator(".messagelist")).to_contain_text("1 bookings cancelled")
    cancelled = Reservation.objects.get(title="berlin-gpu evaluation")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "the node is being re-cabled")
    assert Reservation.objects.filter(status="cancelled").count() == 1
