"""docs/ansible: the playbook leases two A100 servers for eight hours, takes four ports and a scratch
directory for each, and configures exactly those machines through the inventory; a second run
changes nothing. Run with real ansible-playbook against the test server (the machines are reached
locally here: the inventory composes ansible_connection)."""

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.utils import timezone

from registry.models import Allocation
from reservations.leases.models import Lease

from .conftest import BIN

pytestmark = pytest.mark.django_db(transaction=True)
DOCS = Path(settings.BASE_DIR) / "docs" / "ansible"


def recap(output: str) -> dict[str, dict[str, int]]:
    rows = re.findall(r"^(\S+)\s+:\s+(.*)$", output.split("PLAY RECAP")[-1], re.M)
    return {host: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)} for host, counts in rows}


def test_the_documented_playbook_leases_takes_and_configures_exactly_the_leased_machines(ansible, tmp_path):
    inventory = yaml.safe_load((DOCS / "leased.reservoir.yml").read_text())
    inventory["compose"] = {"ansible_connection": "'local'"}  # here the machines are this one
    source = tmp_path / "leased.reservoir.yml"
    source.write_text(yaml.safe_dump(inventory))
    start = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    command = [
        str(BIN / "ansible-playbook"),
        "-i",
        str(source),
        str(DOCS / "lease_and_configure.yml"),
        "-e",
        f"window_start={start.isoformat()}",
        "-e",
        f"window_end={(start + timedelta(days=2)).isoformat()}",
        "-e",
        f"config_dir={tmp_path}/etc/{{{{ inventory_hostname }}}}",
    ]
    env = {**ansible.env, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    lease = Lease.objects.get()
    machines = sorted(b.resource.name for b in lease.bookings.all())
    done = recap(first.stdout)
    assert sorted(set(done) - {"localhost"}) == machines  # configured: exactly the leased machines
    for name in machines:
        settings_file = (tmp_path / "etc" / name / "training.env").read_text()
        ports = re.search(r"^PORTS=(.*)$", settings_file, re.M).group(1).split(",")
        assert len(ports) == 4 and f"SCRATCH=/scratch/training-{name}" in settings_file
        assert "GPU_MODEL=A100" in settings_file and "LEASE_ENDS=" in settings_file
    assert Allocation.objects.count() == 10  # four ports and a directory for each of the two
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    assert {host: counts["changed"] for host, counts in recap(second.stdout).items()} == dict.fromkeys(
        ["localhost", *machines], 0
    )
    assert Lease.objects.count() == 1 and Allocation.objects.count() == 10
