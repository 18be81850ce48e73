import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from accounts import services as accounts
from tenancy.models import Membership, Role
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory

BIN = Path(sys.executable).parent


class Ansible:
    """ansible-playbook and ansible-inventory, as an operator runs them, against the test server."""

    def __init__(self, url: str, token: str, tmp: Path):
        self.tmp = tmp
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "ANSIBLE_COLLECTIONS_PATH": str(settings.BASE_DIR),  # holds ansible_collections/reservoir/reservoir
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_HOME": str(tmp / "ansible-home"),
            "RESERVOIR_URL": url,
            "RESERVOIR_TOKEN": token,
        }

    def play(self, *tasks: dict, check: bool = False, diff: bool = False) -> list[dict]:
        """Run the tasks on localhost; returns each task's result (failed ones included: each task
        goes on after an error, and a last task writes what each one returned)."""
        book, results = self.tmp / "play.yml", self.tmp / "results.json"
        results.unlink(missing_ok=True)
        steps = [{**task, "register": f"r{i}", "ignore_errors": True} for i, task in enumerate(tasks)]
        names = ", ".join(f"r{i}" for i in range(len(tasks)))
        steps.append(
            {
                "ansible.builtin.copy": {"content": f"{{{{ [{names}] | to_json }}}}", "dest": str(results)},
                "check_mode": False,
                "diff": False,
            }
        )
        book.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": steps}]))
        command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(book)]
        run = subprocess.run(
            command + (["--check"] if check else []) + (["--diff"] if diff else []),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if not results.exists():
            raise AssertionError(run.stdout[-3000:] + run.stderr[-3000:])
        return json.loads(results.read_text())

    def inventory(self, source: dict) -> dict:
        path = self.tmp / "inventory.reservoir.yml"
        path.write_text(json.dumps(source))
        run = subprocess.run(
            [str(BIN / "ansible-inventory"), "-i", str(path), "--list"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        return trusted(json.loads(run.stdout))


def trusted(value):
    """ansible-inventory marks what came from the API as not to be templated: the values themselves."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return value


@pytest.fixture
def scene(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    kind = ResourceTypeFactory(site=site, name="GPU server")
    servers = [
        ResourceFactory(
            site=site,
            resource_type=kind,
            name=f"a100-{i}",
            attributes={"gpu_model": "A100", "gpu_memory_gb": 80, "ip": f"10.0.0.{10 + i}"},
        )
        for i in range(4)
    ]
    member = UserFactory(username="member")
    Membership.objects.create(site=site, user=member, role=Role.MEMBER)
    return {"site": site, "kind": kind, "servers": servers, "member": member}


@pytest.fixture
def ansible(live_server, scene, tmp_path):
    _, token = accounts.api_token_create(actor=scene["member"], user=scene["member"], name="ansible")
    return Ansible(live_server.url, token, tmp_path)
