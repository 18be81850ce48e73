"""The command-line client against a running server (pytest-django's live server)."""

import json

import pytest

import reservoir_cli
from accounts.services import api_token_create
from registry.models import Allocation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cli(live_server, member, site_a, capsys):
    _, token = api_token_create(actor=member, user=member, name="cli")

    def run(*argv):
        code = reservoir_cli.main(["--url", live_server.url, "--token", token, *argv])
        return code, capsys.readouterr().out

    return run


def test_allocate_find_list_release_with_exit_codes(cli, site_a):
    code, out = cli("allocate", "port", "08234", "--service", "web", "--site", "berlin")
    assert code == 0 and "\tport\t8234\tproduction" in out
    code, out = cli("allocate", "port", "8234", "--service", "other", "--site", str(site_a.pk))
    assert code == 3 and "error 409" in out and "web" in out  # taken: scripts can branch on 3
    code, out = cli("--json", "check", "port", "8234")
    assert code == 3 and json.loads(out)["held_by"]["owner_service"] == "web"
    code, out = cli("ports", "find", "--range", "8233-8240", "--count", "2")
    assert code == 0 and out.split() == ["8233", "8235"]
    code, out = cli("allocate", "port", "next", "--range", "8233-8240", "--service", "api", "--site", "berlin")
    assert code == 0 and "\t8233\t" in out, out
    code, out = cli("list", "--type", "port")
    assert code == 0 and len(out.strip().splitlines()) == 2
    allocation_id = Allocation.objects.get(resource_value="8234").pk
    code, out = cli("release", str(allocation_id))
    assert code == 0 and out.strip() == "released port 8234"
    code, out = cli("allocate", "port", "99999", "--service", "web", "--site", "berlin")
    assert code == 2 and "error 400" in out


def test_unreachable_server(capsys):
    code = reservoir_cli.main(["--url", "http://127.0.0.1:1", "--token", "rsv_x", "list"])
    assert code == 1


def test_resources_by_attribute_and_a_lease_found_booked_and_cancelled(cli, site_a):
    from datetime import timedelta

    from django.utils import timezone

    from reservations.leases.models import Lease
    from reservations.models import Reservation
    from tests.factories import ResourceFactory, ResourceTypeFactory

    kind = ResourceTypeFactory(site=site_a, name="GPU server")
    for i, memory in enumerate((80, 80, 40)):
        ResourceFactory(site=site_a, resource_type=kind, name=f"gpu-{i}", attributes={"gpu_memory_gb": memory})
    code, out = cli("resources", "--where", "gpu_memory_gb >= 80", "--site", "berlin")
    assert code == 0 and [line.split("\t")[1] for line in out.strip().splitlines()] == ["gpu-0", "gpu-1"]
    code, out = cli("resources", "--where", "gpu_memory_gb >>= 80")
    assert code == 2 and "error 400" in out
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    window = ["--window-start", start.isoformat(), "--window-end", (start + timedelta(hours=12)).isoformat()]
    common = ["--site", "berlin", "--type", str(kind.pk), "--count", "2", "--where", "gpu_memory_gb >= 80"]
    code, out = cli("lease", "find", *common, "--duration", "02:00:00", *window)
    assert code == 0 and "gpu-0, gpu-1" in out.splitlines()[0]
    code, out = cli("lease", "book", *common, "--duration", "02:00:00", *window, "--title", "from the shell")
    assert code == 0 and out.strip().endswith("gpu-0, gpu-1"), out
    lease = Lease.objects.get()
    code, out = cli(
        "lease", "book", *common, "--start", start.isoformat(), "--end", (start + timedelta(hours=1)).isoformat()
    )
    assert code == 3 and "Only 0 of the 2 matching" in out, out
    code, out = cli("lease", "cancel", str(lease.pk), "--reason", "done")
    assert code == 0 and set(Reservation.objects.filter(lease=lease).values_list("status", flat=True)) == {"cancelled"}
