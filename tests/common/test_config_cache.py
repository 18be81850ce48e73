"""Configuration kept per process (common.db.config_cache) is never stale: every change of quota
rules, webhooks or booking templates raises the site's version (database triggers), so the next
booking sees it, while a webhook's failure count (changed on every failed delivery) does not."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from common.exceptions import Conflict
from registry import booking_templates
from registry.models import Allocation, AllocationTemplate
from reservations import services
from reservations.policies.models import QuotaPeriod, QuotaRule
from resources.models import Resource
from tenancy.models import Site
from tests.factories import ResourceFactory, ResourceTypeFactory
from webhooks.models import Delivery, Webhook
from webhooks.transport import signing

pytestmark = pytest.mark.django_db


def version(site) -> int:
    return Site.objects.get(pk=site.pk).config_version


def book(member, resource, hour):
    start = (timezone.now() + timedelta(days=2)).replace(hour=hour, minute=0, second=0, microsecond=0)
    fresh = Resource.objects.select_related("site", "resource_type").get(pk=resource.pk)  # as a request reads it
    return services.reservation_create(actor=member, resource=fresh, start=start, end=start + timedelta(hours=1))


@pytest.fixture
def gpu(site_a):
    return ResourceFactory(site=site_a, resource_type=ResourceTypeFactory(site=site_a, name="GPU"), name="gpu-1")


def test_a_quota_rule_made_after_bookings_applies_to_the_next_one(member, site_a, gpu):
    book(member, gpu, 8)  # the site's (empty) rules are now in memory
    QuotaRule.objects.create(site=site_a, period=QuotaPeriod.DAY, max_hours=Decimal(1))
    with pytest.raises(Conflict) as refused:
        book(member, gpu, 10)
    assert refused.value.code == "quota"
    QuotaRule.objects.filter(site=site_a).update(max_hours=Decimal(3))
    book(member, gpu, 10)
    QuotaRule.objects.filter(site=site_a).delete()
    book(member, gpu, 12)


def test_webhooks_made_changed_or_disabled_after_bookings_are_matched_as_they_are_now(member, site_a, gpu):
    book(member, gpu, 8)
    hook = Webhook.objects.create(site=site_a, name="h", url="http://127.0.0.1:9/", secret=signing.generate_secret())
    book(member, gpu, 9)
    assert Delivery.objects.filter(webhook=hook, event__type="reservation.created").count() == 1
    hook.event_types = ["reservation.cancelled"]
    hook.save()
    book(member, gpu, 10)
    assert Delivery.objects.filter(webhook=hook).count() == 1
    hook.event_types = []
    hook.enabled = False
    hook.save()
    book(member, gpu, 11)
    assert Delivery.objects.filter(webhook=hook).count() == 1


def test_counting_a_webhooks_failures_is_no_configuration_change(site_a):
    hook = Webhook.objects.create(site=site_a, name="h", url="http://127.0.0.1:9/", secret=signing.generate_secret())
    before = version(site_a)
    Webhook.objects.filter(pk=hook.pk).update(consecutive_failures=3)
    assert version(site_a) == before
    Webhook.objects.filter(pk=hook.pk).update(enabled=False)
    assert version(site_a) == before + 1


def test_a_booking_template_linked_after_bookings_is_applied_to_the_next_one(member, site_a, site_admin, gpu):
    book(member, gpu, 8)  # no templates: remembered
    template = AllocationTemplate.objects.create(
        name="job", specs=[{"resource_type": "directory", "resource_value": "/scratch/job-{booking_id}"}]
    )
    link = booking_templates.booking_template_create(
        actor=site_admin, template=template, resource_type=gpu.resource_type, apply_at="created"
    )
    booking = book(member, gpu, 10)
    assert Allocation.objects.filter(booking=booking, resource_value=f"/scratch/job-{booking.pk}").exists()
    link.delete()
    assert not Allocation.objects.filter(booking=book(member, gpu, 12)).exists()
