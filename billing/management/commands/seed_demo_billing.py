"""The demo's books: Berlin's project ERC-101 (PI Sam, Uma a member and charged there by default)
with 40 GPU hours a month, an internal rate for the GPU types, and one finished booking of
yesterday charged to it, so that a statement has a line. Idempotent."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from billing import services
from billing.models import Project
from reservations import services as bookings
from reservations.tasks import fire_boundary
from resources.models import Resource, ResourceType
from tenancy.models import Site


class Command(BaseCommand):
    help = "Give the demo a project with a budget, rates and one charged booking."

    def handle(self, *args, **options):
        berlin = Site.objects.filter(slug="berlin").first()
        if berlin is None or Project.objects.filter(code="ERC-101").exists():
            return
        User = get_user_model()
        sam, uma = User.objects.get(username="siteadmin"), User.objects.get(username="user")
        gpu = ResourceType.objects.get(site=None, name="GPU")
        with transaction.atomic():
            project = services.project_create(
                actor=sam, name="Protein folding at scale", code="ERC-101", pi=sam, sites=[berlin],
                starts_on=date.today().replace(day=1) - timedelta(days=200),
            )  # fmt: skip
            services.member_add(actor=sam, project=project, user=uma)
            services.default_project_set(actor=uma, project=project)
            services.budget_save(actor=sam, project=project, resource_type=gpu, period="month", hours=Decimal(40))
            for kind in (gpu, ResourceType.objects.get(site=None, name="GPU server")):
                services.rate_save(
                    actor=None, resource_type=kind, price_group="internal", per_hour=Decimal("2.50"),
                    minimum_hours=Decimal("0.5"), late_cancel_hours=24, late_cancel_percent=50,
                )  # fmt: skip
            start = (timezone.now() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
            booking = bookings.reservation_create(
                actor=None, owner=uma, resource=Resource.objects.get(site=berlin, name="dgx-01-gpu3"),
                start=start, end=start + timedelta(hours=3), title="Fold batch 7",
            )  # fmt: skip
        fire_boundary.run(booking.pk, "ended")
        self.stdout.write("  project ERC-101 with a budget, rates and a charged booking (Projects page)")
