"""The demo's machine with an agent: dgx-01 gets a machine token and a usage policy, a booking of
one of its GPUs runs now, and half an hour of samples (as its agent would have sent them) fill that
booking's use. Idempotent: nothing is added once dgx-01 has a token."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from machines import services
from machines.models import MachineToken
from machines.services.usage import Reading
from reservations import services as booking_services
from resources.models import Resource

GPUS = 4


class Command(BaseCommand):
    help = "Give the demo's dgx-01 an agent's token, a running booking and half an hour of samples."

    def handle(self, *args, **options):
        server = Resource.objects.filter(name="dgx-01", site__slug="berlin").first()
        if server is None or MachineToken.objects.filter(resource=server).exists():
            return
        User = get_user_model()
        admin, siteadmin = User.objects.get(username="admin"), User.objects.get(username="siteadmin")
        user = User.objects.get(username="user")
        now = timezone.now().replace(second=0, microsecond=0)
        with transaction.atomic():
            token, _ = services.machine_token_create(actor=siteadmin, resource=server, name="dgx-01.berlin.lab")
            services.usage_policy_save(  # the GPU server type is every site's: a global administrator's
                actor=admin, resource_type=server.resource_type, warn_minutes=10, report_unreserved=True
            )
            booking_services.reservation_create(
                actor=siteadmin,
                owner=user,
                resource=Resource.objects.get(site=server.site, name="dgx-01-gpu2"),
                start=now - timedelta(minutes=30),
                end=now + timedelta(hours=2),
                title="Evaluation sweep",
            )
            for minute in range(30, 0, -1):
                busy = 0 if minute > 25 else 70 + minute % 20  # logged in at once, the GPU busy after 5 min
                services.usage_record(token=token, reading=_reading(now - timedelta(minutes=minute), busy))
        MachineToken.objects.filter(pk=token.pk).update(last_seen_at=timezone.now())
        self.stdout.write("  dgx-01 has a demo agent (token dgx-01.berlin.lab) and 30 minutes of samples")


def _reading(at, busy: int) -> Reading:
    gpus = [
        {"index": i, "uuid": f"GPU-demo-{i}", "name": "NVIDIA A100-SXM4-80GB",
         "utilization": busy if i == 2 else 0, "memory_used": 61234 if i == 2 and busy else 4, "memory_total": 81920}
        for i in range(GPUS)
    ]  # fmt: skip
    return Reading(
        taken_at=at, interval=timedelta(minutes=1), logged_in=["user"], shared_account=None,
        load=1.8 if busy else 0.1, gpus=gpus, foreign=[],
    )  # fmt: skip
