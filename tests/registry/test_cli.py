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
