"""The collection as Ansible's own tools take it: ansible-test sanity passes, ansible-galaxy builds and
installs it, ansible-doc documents every plugin, and its version is the project's."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from django.conf import settings

BIN = Path(sys.executable).parent
COLLECTION = Path(settings.BASE_DIR) / "ansible_collections" / "reservoir" / "reservoir"
PLUGINS = [
    ("module", "allocation"),
    ("module", "allocation_template"),
    ("module", "booking"),
    ("module", "lease"),
    ("module", "resource"),
    ("inventory", "inventory"),
    ("lookup", "free_ports"),
]


def run(*command, cwd=None, env=None):
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done.stdout


def test_its_version_is_the_projects():
    project = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())["project"]["version"]
    assert yaml.safe_load((COLLECTION / "galaxy.yml").read_text())["version"] == project


def test_ansible_galaxy_builds_and_installs_it_and_ansible_doc_documents_every_plugin(tmp_path):
    run(str(BIN / "ansible-galaxy"), "collection", "build", str(COLLECTION), "--output-path", str(tmp_path))
    (archive,) = tmp_path.glob("reservoir-reservoir-*.tar.gz")
    installed = tmp_path / "installed"
    run(str(BIN / "ansible-galaxy"), "collection", "install", str(archive), "-p", str(installed))
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(installed), "ANSIBLE_HOME": str(tmp_path / "home")}
    for kind, name in PLUGINS:
        text = run(str(BIN / "ansible-doc"), "-t", kind, f"reservoir.reservoir.{name}", env=env)
        assert f"reservoir.reservoir.{name}" in text


def test_ansible_test_sanity_passes():
    # ansible-test fetches a pip bootstrapper from ci-files.testing.ansible.com, which our build
    # machines cannot reach: the stand-in does the same with ensurepip and the machine's pip index.
    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(settings.BASE_DIR) / "deploy" / "ansible_test_get_pip.py", cache / "get_pip_24_2.py")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    out = run(str(BIN / "ansible-test"), "sanity", "--python", "3.11", "--local", cwd=COLLECTION, env=env)
    assert "FATAL" not in out
