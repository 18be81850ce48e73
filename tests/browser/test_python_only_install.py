"""The first command gives the whole product on a machine with Python only: the browser libraries
come from the npm registry, checked against package-lock.json, with no Node.js involved."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

sys.path.insert(0, str(Path(settings.BASE_DIR) / "deploy"))
import browser_packages

LOCK = Path(settings.BASE_DIR) / "package-lock.json"


@pytest.fixture(scope="module")
def python_only_install(tmp_path_factory) -> Path:
    """A fresh node_modules made by the script itself, with no npm on PATH."""
    target = tmp_path_factory.mktemp("checkout") / "node_modules"
    bare = tmp_path_factory.mktemp("bin")
    (bare / "python3").symlink_to(sys.executable)
    result = subprocess.run(
        ["python3", str(Path(settings.BASE_DIR) / "deploy" / "browser_packages.py"), "--target", str(target)],
        env={**os.environ, "PATH": str(bare)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert shutil.which("npm", path=str(bare)) is None
    assert result.returncode == 0, result.stderr
    return target


def test_every_pinned_package_is_installed_at_its_version(python_only_install):
    for path, name, version, _ in browser_packages.packages(LOCK):
        manifest = json.loads((python_only_install / path.removeprefix("node_modules/") / "package.json").read_text())
        assert (manifest["name"], manifest["version"]) == (name, version)
    assert browser_packages.installed(LOCK, python_only_install)


def test_a_tampered_tarball_is_refused_before_anything_is_unpacked(tmp_path):
    def fetch(url):
        return b"not what the lock file pins"

    with pytest.raises(browser_packages.IntegrityError, match="integrity mismatch"):
        browser_packages.install(LOCK, tmp_path / "node_modules", fetch=fetch)
    assert not (tmp_path / "node_modules").exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_calendar_loads_its_scripts_from_a_python_only_install(browser, live_server, settings, python_only_install):
    from tenancy.models import Membership, Role
    from tests.browser.support import log_in
    from tests.factories import ResourceFactory, SiteFactory, UserFactory

    settings.STATICFILES_DIRS = [Path(settings.BASE_DIR) / "static", ("vendor", python_only_install)]
    site = SiteFactory(slug="berlin", time_zone="Europe/Berlin")
    resource = ResourceFactory(site=site)
    Membership.objects.create(site=site, user=UserFactory(username="member"), role=Role.MEMBER)
    context = browser.new_context()
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on(
        "response", lambda response: response.status >= 400 and problems.append(f"{response.status} {response.url}")
    )
    log_in(page, live_server, "member")
    page.goto(f"{live_server.url}/resources/{resource.pk}/calendar/")
    page.wait_for_selector(".fc-timegrid-slot-lane")
    assert page.evaluate("Boolean(window.FullCalendar && window.luxon && window.reservoirCalendar)")
    assert problems == []
    context.close()


def tarball(*members: tuple[str, bytes, int]) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data, mode in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.uid, info.gid = len(data), mode, 4242, 4242
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(params=["the data filter", "Python before 3.11.4"])
def unpacking(request, monkeypatch):
    """Debian 12's Python 3.11.2 has no tarfile.data_filter; the script keeps the same rules without it."""
    import tarfile

    if request.param != "the data filter":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no data filter")
    return request.param


def test_a_package_unpacks_without_its_top_folder_and_without_set_id_bits(tmp_path, unpacking):
    data = tarball(("package/package.json", b"{}", 0o644), ("package/bin/run", b"#!/bin/sh", 0o6777))
    browser_packages.unpack(data, tmp_path / "pkg")
    assert (tmp_path / "pkg" / "package.json").read_bytes() == b"{}"
    mode = (tmp_path / "pkg" / "bin" / "run").stat().st_mode & 0o7777
    assert mode & 0o6000 == 0 and mode & 0o022 == 0


def test_a_member_that_climbs_out_of_its_package_folder_is_refused(tmp_path, unpacking):
    with pytest.raises(unsafe_archive_errors()):
        browser_packages.unpack(tarball(("package/../../escaped.js", b"x", 0o644)), tmp_path / "a" / "pkg")
    assert not (tmp_path / "escaped.js").exists()


def test_an_absolute_member_never_lands_outside_its_package_folder(tmp_path, unpacking):
    outside = tmp_path / "absolute.js"
    try:  # the data filter strips the leading slash; the check of our own refuses it
        browser_packages.unpack(tarball((f"package/{outside}", b"x", 0o644)), tmp_path / "pkg")
    except unsafe_archive_errors():
        pass
    assert not outside.exists()


def unsafe_archive_errors() -> tuple[type[Exception], ...]:
    import tarfile

    return (browser_packages.UnsafeArchiveError, getattr(tarfile, "FilterError", browser_packages.UnsafeArchiveError))
