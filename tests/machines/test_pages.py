"""Real use on every surface: the booking's page, the resource's page, the timeline coloured by use,
the operators' dashboard (agents not reporting), the report's booked vs used, and the admin."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from machines import services
from machines.models import BookingUsage, MachineToken, UsagePolicy, UsageSample

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def measured(site_admin, machine, member, booked):
    """dgx-01 with an agent that reported a minute ago, booked by member now, used for an hour."""
    token, _ = services.machine_token_create(actor=site_admin, resource=machine["server"], name="dgx-01")
    MachineToken.objects.filter(pk=token.pk).update(last_seen_at=timezone.now())
    booking = booked(machine["server"], member, -60, 60)
    now = timezone.now()
    UsageSample.objects.create(
        resource=machine["server"], token=token, taken_at=now - timedelta(minutes=1), interval=timedelta(minutes=1),
        logged_in=[member.username], load=1.25,
        gpus=[{"index": 0, "name": "NVIDIA RTX A5000", "utilization": 87, "memory_used": 20480, "memory_total": 24564}],
        foreign=[{"user": "mallory", "processes": 2}],
    )  # fmt: skip
    BookingUsage.objects.create(
        reservation=booking, first_login_at=now - timedelta(minutes=55), last_activity_at=now - timedelta(minutes=1),
        sampled=timedelta(minutes=60), active=timedelta(minutes=45), gpus=1, gpu_hours_used=0.6,
    )  # fmt: skip
    return {"booking": booking, "token": token}


def _days_around(booking):
    """The report's days around a booking that began an hour ago: from midnight to 1 a.m. UTC that
    was yesterday, and "today" alone left it out."""
    return (booking.start - timedelta(days=1)).date(), (booking.end + timedelta(days=1)).date()


def test_the_booking_page_shows_its_use(measured, member):
    page = browser(member).get(f"/reservations/{measured['booking'].pk}/").content.decode()
    assert 'id="booking-usage"' in page
    assert "0.75 h in use of 1.00 h measured (2.00 h booked); idle 25 %" in page
    assert "0.60 used of 2.00 booked (1 GPU)" in page


def test_the_resource_page_shows_who_holds_it_and_its_live_use(measured, member, second_member, machine):
    mine = browser(member).get(f"/resources/{machine['server'].pk}/calendar/").content.decode()
    assert 'id="machine-now"' in mine and "held by" in mine
    assert "1 session · load 1.25 · GPU 0 87 %, 20480 of 24564 MiB" in mine
    assert "1 without a booking" in mine
    theirs = browser(second_member).get(f"/resources/{machine['server'].pk}/calendar/").content.decode()
    assert "held by" not in theirs and "booked" in theirs  # a colleague sees that it is taken, not by whom
    assert member.username not in theirs.split('id="machine-now"')[1].split("</section>")[0]


def test_a_silent_agent_is_said_on_the_resource_page(measured, member, machine):
    UsageSample.objects.update(taken_at=timezone.now() - timedelta(minutes=10))
    page = browser(member).get(f"/resources/{machine['server'].pk}/calendar/").content.decode()
    assert 'id="agent-stale"' in page


def test_a_resource_without_an_agent_shows_no_use(member, machine):
    page = browser(member).get(f"/resources/{machine['other'].pk}/calendar/").content.decode()
    assert "machine-now" not in page


def test_the_timeline_colours_running_bookings_by_use(measured, member, site_a):
    page = browser(member).get(f"/calendar/{site_a.slug}/timeline/?by=use").content.decode()
    assert 'id="use-legend"' in page and "use-active" in page and "in use" in page
    BookingUsage.objects.update(idle_since=timezone.now() - timedelta(minutes=20))
    page = browser(member).get(f"/calendar/{site_a.slug}/timeline/?by=use").content.decode()
    assert "use-idle" in page and "idle for 20 min" in page
    plain = browser(member).get(f"/calendar/{site_a.slug}/timeline/").content.decode()
    assert "use-active" not in plain and 'id="colour-by-use"' in plain


def test_the_dashboard_lists_agents_that_stopped_reporting(measured, site_admin):
    assert "every agent reports" in browser(site_admin).get("/dashboard/").content.decode()
    MachineToken.objects.update(last_seen_at=timezone.now() - timedelta(minutes=5))
    page = browser(site_admin).get("/dashboard/").content.decode()
    assert "dgx-01 (dgx-01): last seen" in page
    status = browser(site_admin).get("/api/dashboard/status/").json()
    assert status["stale_agents"][0]["resource"] == "dgx-01"


def test_the_report_puts_booked_beside_used(measured, site_admin):
    start, end = _days_around(measured["booking"])
    page = browser(site_admin).get(f"/reports/utilization/?start={start}&end={end}").content.decode()
    assert 'id="booked-vs-used"' in page
    row = page.split('data-group="people"')[1].split("</tr>")[0]
    assert "member" in row and ">2.0<" in row and ">0.75<" in row and "75 %" in row


def test_the_admin_shows_usage_samples_and_policies(measured, site_admin, machine):
    client = browser(site_admin)
    for path in ("/admin/machines/bookingusage/", "/admin/machines/usagesample/", "/admin/machines/usagepolicy/"):
        assert client.get(path).status_code == 200, path
    answer = client.post(
        "/admin/machines/usagepolicy/add/",
        {"resource_type": machine["server"].resource_type_id, "at_end": "warn", "warn_minutes": 5,
         "idle_reclaim": "on", "idle_minutes": 30, "idle_gpu_percent": 5, "idle_grace_minutes": 15},
        follow=True,
    )  # fmt: skip
    assert answer.status_code == 200
    policy = UsagePolicy.objects.get()
    assert policy.at_end == "warn" and policy.idle_reclaim and not policy.auto_checkin
    assert client.get(f"/admin/machines/bookingusage/{measured['booking'].pk}/change/").status_code == 200


def test_members_do_not_see_the_machines_admin(member):
    assert browser(member).get("/admin/machines/usagesample/").status_code in (302, 403)


def test_booked_vs_used_comes_as_csv_too(measured, site_admin):
    start, end = _days_around(measured["booking"])
    answer = browser(site_admin).get(f"/api/reports/utilization/export/?start={start}&end={end}&section=booked_vs_used")
    assert answer.status_code == 200, answer.content
    lines = answer.content.decode().splitlines()
    assert lines[0].endswith(
        "by,name,bookings,booked_hours,measured_hours,used_hours,used_share,gpu_hours_booked,gpu_hours_used"
    )
    assert any(",person,member,1,2.0,1.0,0.75,0.75,2.0,0.6" in line for line in lines), lines
