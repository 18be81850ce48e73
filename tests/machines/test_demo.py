"""The demo's machine with an agent, as `python3 dev.py run` loads it."""

import io

import pytest
from django.core.management import call_command

from machines.models import BookingUsage, MachineToken, UsageSample

pytestmark = pytest.mark.django_db


def test_the_demo_machine_has_a_token_samples_and_a_used_booking(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    for _ in range(2):  # idempotent
        call_command("seed_demo_machines", stdout=io.StringIO())
    assert MachineToken.objects.count() == 1 and UsageSample.objects.count() == 30
    usage = BookingUsage.objects.get()
    assert usage.first_login_at is not None and usage.gpus == 1
    assert 0.4 < usage.active_hours <= 0.5 and usage.gpu_hours_used > 0.25  # its own GPU: index 2
