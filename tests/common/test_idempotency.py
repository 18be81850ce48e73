"""Idempotency-Key on the creating POSTs: a retry with the same key and body gets the first answer and
writes nothing; the same key with another body is a 422; two requests racing with one key make one
write and get two equal answers; keys are per user and kept 24 hours."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from common.api.idempotency import forget_expired
from common.models import IdempotentRequest
from registry.models import Allocation
from reservations.leases.models import Lease
from reservations.models import Reservation
from tests.concurrency import race
from tests.factories import ResourceFactory, ResourceTypeFactory

pytestmark = pytest.mark.django_db


def booking_body(resource, hours=24):
    start = timezone.now().replace(microsecond=0) + timedelta(hours=hours)
    return {"resource": resource.pk, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}


def post(api, url, body, key):
    return api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_gets_the_first_answer_and_writes_nothing(member_api, site_a):
    resource = ResourceFactory(site=site_a)
    body = booking_body(resource)
    first = post(member_api, "/api/reservations/", body, "k-1")
    again = post(member_api, "/api/reservations/", body, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Reservation.objects.count() == 1
    other = post(member_api, "/api/reservations/", booking_body(resource, hours=48), "k-2")
    assert other.status_code == 201 and Reservation.objects.count() == 2


def test_the_same_key_with_another_body_is_a_422_and_writes_nothing(member_api, site_a):
    resource = ResourceFactory(site=site_a)
    post(member_api, "/api/reservations/", booking_body(resource), "k-1")
    reused = post(member_api, "/api/reservations/", booking_body(resource, hours=48), "k-1")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert Reservation.objects.count() == 1
    bad = post(member_api, "/api/reservations/", booking_body(resource, hours=72), "x" * 256)
    assert bad.status_code == 422 and Reservation.objects.count() == 1


def test_a_refusal_is_kept_too_and_keys_are_per_user(member_api, site_a, site_admin_api):
    resource = ResourceFactory(site=site_a)
    taken = booking_body(resource)
    assert site_admin_api.post("/api/reservations/", taken, format="json").status_code == 201
    refused = post(member_api, "/api/reservations/", taken, "k-1")
    assert refused.status_code == 409
    assert post(member_api, "/api/reservations/", taken, "k-1").json() == refused.json()
    mine = post(site_admin_api, "/api/reservations/", booking_body(resource, hours=48), "k-1")
    assert mine.status_code == 201  # another user's key of the same name is theirs alone


def test_after_24_hours_a_key_is_forgotten(member_api, site_a):
    resource = ResourceFactory(site=site_a)
    body = booking_body(resource)
    post(member_api, "/api/reservations/", body, "k-1")
    IdempotentRequest.objects.update(created=timezone.now() - timedelta(hours=25))
    assert forget_expired() == 1
    again = post(member_api, "/api/reservations/", body, "k-1")
    assert again.status_code == 409  # asked afresh: the slot is the first booking's


def test_leases_allocations_series_and_bulk_allocations_take_keys(member_api, site_a):
    kind = ResourceTypeFactory(site=site_a, name="GPU server")
    ResourceFactory(site=site_a, resource_type=kind)
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    lease = {
        "site": site_a.pk,
        "resource_type": kind.pk,
        "count": 1,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=8)).isoformat(),
    }
    assert post(member_api, "/api/leases/", lease, "l").json() == post(member_api, "/api/leases/", lease, "l").json()
    assert Lease.objects.count() == 1
    port = {
        "site": site_a.pk,
        "resource_type": "port",
        "resource_value": "20001",
        "resource_name": "job port",
        "owner_service": "job",
    }
    first = post(member_api, "/api/system-resources/", port, "a")
    assert first.status_code == 201, first.content
    assert post(member_api, "/api/system-resources/", port, "a").json() == first.json()
    bulk = {"site": site_a.pk, "allocations": [{**port, "resource_value": "20002"}]}
    assert post(member_api, "/api/system-resources/bulk-allocate/", bulk, "b").status_code == 201
    assert post(member_api, "/api/system-resources/bulk-allocate/", bulk, "b").status_code == 201
    assert Allocation.objects.count() == 2
    series = {**booking_body(ResourceFactory(site=site_a)), "rrule": "FREQ=DAILY;COUNT=3"}
    made = post(member_api, "/api/reservations/series/", series, "s")
    assert made.status_code == 201, made.content
    assert post(member_api, "/api/reservations/series/", series, "s").json() == made.json()
    assert Reservation.objects.filter(series__isnull=False).count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_make_one_write_and_two_equal_answers(member, site_a):
    resource = ResourceFactory(site=site_a)
    body = booking_body(resource)

    def send():
        api = APIClient()
        api.force_authenticate(member)
        response = post(api, "/api/reservations/", body, "race")
        return response.status_code, response.json()

    outcomes = race([send, send, send])
    assert [status for status, _ in outcomes] == [201, 201, 201]
    assert outcomes[0][1] == outcomes[1][1] == outcomes[2][1]
    assert Reservation.objects.count() == 1
