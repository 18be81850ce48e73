"""Real use, as the agents report it: samples kept, summed per booking, and read by the policies
(automatic check-in, idle reclaim, unreserved use) through the booking core's services."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from machines import services
from machines.models import BookingUsage, MachineToken, UsagePolicy, UsageSample
from notifications.models import Notification
from reservations.models import Reservation
from tests.machines.test_tokens_and_state import agent
from webhooks.models import Event

pytestmark = pytest.mark.django_db
GPUS_IDLE = [
    {"index": 0, "name": "NVIDIA RTX A5000", "utilization": 0, "memory_used": 0, "memory_total": 24564},
    {"index": 1, "name": "NVIDIA RTX A5000", "utilization": 0, "memory_used": 0, "memory_total": 24564},
]


def busy(*percent):
    return [{**g, "utilization": p} for g, p in zip(GPUS_IDLE, percent, strict=True)]


@pytest.fixture
def token(site_admin, machine):
    _, secret = services.machine_token_create(actor=site_admin, resource=machine["server"], name="dgx-01")
    return secret


@pytest.fixture
def report(token):
    def send(minutes_ago=0, **fields):
        body = {"taken_at": (timezone.now() - timedelta(minutes=minutes_ago)).isoformat(), "load": 0.1,
                "gpus": GPUS_IDLE, **fields}  # fmt: skip
        return agent(token).post("/api/agent/usage/", body, format="json")

    return send


def policy(machine, **values):
    return UsagePolicy.objects.create(resource_type=machine["server"].resource_type, **values)


def test_a_sample_is_kept_and_summed_into_the_booking_it_covers(report, machine, member, booked):
    booking = booked(machine["server"], member, -30, 30)
    assert report(logged_in=[member.username], gpus=busy(80, 40)).status_code == 201
    assert report(gpus=busy(0, 0)).status_code == 201
    usage = BookingUsage.objects.get(reservation=booking)
    assert usage.first_login_at is not None and usage.gpus == 2
    assert usage.sampled == timedelta(minutes=2) and usage.active == timedelta(minutes=1)
    assert usage.gpu_hours_used == pytest.approx(1.2 / 60)
    assert usage.idle_share == 0.5 and usage.gpu_hours_booked == 2.0
    assert UsageSample.objects.filter(resource=machine["server"]).count() == 2


def test_a_booking_of_one_gpu_counts_one_gpu(report, machine, member, booked):
    booking = booked(machine["gpus"][0], member, -30, 30)
    report(gpus=busy(100, 0))
    usage = BookingUsage.objects.get(reservation=booking)
    assert usage.gpus == 1 and usage.gpu_hours_used == pytest.approx(0.5 / 60)


def test_bad_samples_get_field_messages(report):
    answer = report(load=-1, gpus=[{"index": 0, "utilization": 140, "memory_used": 1, "memory_total": 2}])
    assert answer.status_code == 400
    assert {"load", "gpus"} <= set(answer.json()["errors"] if "errors" in answer.json() else answer.json())
    assert not UsageSample.objects.exists()


def test_only_a_machine_token_writes_samples(member_api, token, site_admin):
    sample = {"taken_at": timezone.now().isoformat(), "load": 0}
    assert member_api.post("/api/agent/usage/", sample, format="json").status_code == 403
    services.machine_token_revoke(actor=site_admin, token=MachineToken.objects.get())
    assert agent(token).post("/api/agent/usage/", sample, format="json").status_code == 401
    assert not UsageSample.objects.exists()


def test_first_login_checks_the_booking_in_when_the_type_says_so(report, machine, member, booked):
    kind = machine["server"].resource_type
    kind.checkin_window = timedelta(minutes=15)
    kind.save()
    policy(machine, auto_checkin=True)
    booking = booked(machine["server"], member, -2, 60, checkin_until=timezone.now() + timedelta(minutes=13))
    report(logged_in=["root"])  # someone else's session: no check-in
    assert Reservation.objects.get(pk=booking.pk).checked_in_at is None
    report(logged_in=[member.username])
    assert Reservation.objects.get(pk=booking.pk).checked_in_at is not None
    entry = AuditEntry.objects.get(action="reservation.checked_in", object_id=str(booking.pk))
    assert entry.actor_id is None
    assert Event.objects.filter(
        type="reservation.checked_in", payload__data__reservation__reason="first_login"
    ).exists()


def test_without_the_policy_a_login_does_not_check_in(report, machine, member, booked):
    kind = machine["server"].resource_type
    kind.checkin_window = timedelta(minutes=15)
    kind.save()
    booking = booked(machine["server"], member, -2, 60, checkin_until=timezone.now() + timedelta(minutes=13))
    report(logged_in=[member.username])
    assert Reservation.objects.get(pk=booking.pk).checked_in_at is None


def test_an_idle_machine_is_warned_then_given_back(report, machine, member, second_member, booked):
    policy(machine, idle_reclaim=True, idle_minutes=10, idle_grace_minutes=5, idle_gpu_percent=5)
    booking = booked(machine["server"], member, -60, 120)
    report(minutes_ago=20, gpus=busy(3, 4))  # below the threshold: idle
    report(minutes_ago=11)
    assert not Notification.objects.filter(user=member, kind="reservation.idle_warned").exists()
    report(minutes_ago=8)  # 12 minutes idle: warned
    assert Notification.objects.filter(user=member, kind="reservation.idle_warned").count() == 1
    assert Event.objects.filter(type="reservation.idle_warned").exists()
    report(minutes_ago=4)  # 4 minutes into the grace: still held
    assert Reservation.objects.get(pk=booking.pk).released_at is None
    report(minutes_ago=2)  # 6 minutes: given back
    booking.refresh_from_db()
    assert booking.release_reason == "idle" and booking.end <= timezone.now() + timedelta(seconds=1)
    assert Event.objects.filter(type="reservation.released", payload__data__reservation__reason="idle").exists()


def test_use_after_the_warning_keeps_the_booking(report, machine, member, booked):
    policy(machine, idle_reclaim=True, idle_minutes=10, idle_grace_minutes=5)
    booking = booked(machine["server"], member, -60, 120)
    report(minutes_ago=30)
    report(minutes_ago=18)  # warned
    report(minutes_ago=15, gpus=busy(90, 0))  # the GPU is busy again
    report(minutes_ago=1)
    assert Reservation.objects.get(pk=booking.pk).released_at is None
    assert BookingUsage.objects.get(reservation=booking).idle_warned_at is None


def test_unreserved_use_is_audited_notified_and_sent_once(report, machine, member, site_admin, booked):
    policy(machine, report_unreserved=True)
    booked(machine["server"], member, -10, 50)
    intruder = [{"user": "mallory", "processes": 3, "commands": ["python train.py"]}]
    report(minutes_ago=2, foreign=intruder)
    report(minutes_ago=1, foreign=intruder)  # the same stretch of use: reported once
    report(foreign=[{"user": member.username, "processes": 1}])  # the holder: never reported
    assert AuditEntry.objects.filter(action="machine.unreserved_use").count() == 1
    assert Notification.objects.filter(user=site_admin, kind="machine.unreserved_use").count() == 1
    event = Event.objects.get(type="machine.unreserved_use")
    assert event.payload["data"]["user"] == "mallory" and event.payload["data"]["resource"]["name"] == "dgx-01"


def test_unreserved_use_is_not_reported_without_the_policy(report):
    report(foreign=[{"user": "mallory", "processes": 3}])
    assert not AuditEntry.objects.filter(action="machine.unreserved_use").exists()


def test_the_state_says_what_happens_at_the_end(token, machine, member, booked):
    policy(machine, at_end="warn", warn_minutes=5)
    booked(machine["server"], member, -5, 55)
    holder = agent(token).get("/api/agent/state/").json()["holders"][0]
    assert holder["at_end"] == "warn" and holder["warn_minutes"] == 5


def test_usage_is_seen_by_its_owner_and_the_sites_administrators_only(
    report, machine, member, second_member, site_admin, outsider, booked
):
    booking = booked(machine["server"], member, -30, 30)
    report(logged_in=[member.username])
    for user, seen in ((member, True), (site_admin, True), (second_member, False), (outsider, False)):
        client = APIClient()
        client.force_authenticate(user)
        listed = [row["reservation"] for row in client.get("/api/usage/").json()["results"]]
        assert (booking.pk in listed) is seen
        assert client.get(f"/api/reservations/{booking.pk}/usage/").status_code == (200 if seen else 404)
    client = APIClient()
    client.force_authenticate(member)
    block = client.get(f"/api/reservations/{booking.pk}/usage/").json()
    assert block["booked_hours"] == 1.0 and block["used_hours"] == pytest.approx(1 / 60, abs=1e-3)


def test_a_sample_from_a_machine_with_a_wrong_clock_is_refused(report):
    for minutes_ago in (-10, 61):
        answer = report(minutes_ago=minutes_ago)
        assert answer.status_code == 400 and "taken_at" in str(answer.json())
    assert not UsageSample.objects.exists()


def test_samples_older_than_the_retention_go(report, settings):
    settings.USAGE_RETENTION_DAYS = 1
    settings.USAGE_SAMPLE_MAX_AGE_MINUTES = 3 * 24 * 60
    report(minutes_ago=2 * 24 * 60)
    report()
    assert services.usage_samples_prune() == 1 and UsageSample.objects.count() == 1


def test_a_part_that_names_its_gpu_index_counts_that_gpu(report, machine, member, booked):
    part = machine["gpus"][1]
    part.attributes = {"index": 1}
    part.save()
    booking = booked(part, member, -30, 30)
    report(gpus=busy(0, 60))
    assert BookingUsage.objects.get(reservation=booking).gpu_hours_used == pytest.approx(0.6 / 60)
