"""The demo's training: Berlin's microscopes need it (lapsing after a year unused), so the demo
user sees "Request training" on Krios-1 and the site administrator decides. Idempotent."""

from django.core.management.base import BaseCommand

from resources.models import ResourceType
from training import services
from training.models import Requirement


class Command(BaseCommand):
    help = "Make the demo's microscopes at Berlin need training."

    def handle(self, *args, **options):
        kind = ResourceType.objects.filter(site__slug="berlin", name="Microscope").first()
        if kind is None or Requirement.objects.filter(resource_type=kind).exists():
            return
        services.requirement_save(
            actor=None,
            resource_type=kind,
            lapse_months=12,
            description="Safety induction and a supervised session on the Krios (about two hours).",
        )
        self.stdout.write("  Berlin's microscopes need training (Training page)")
