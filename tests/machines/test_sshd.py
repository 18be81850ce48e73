"""Access only while booked, through a real sshd: Debian's OpenSSH on a loopback port asks
`reservoir-agent keys %u` (AuthorizedKeysCommand), and the agent asks this test's live server."""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from machines import services
from reservations.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True)
SSHD = Path("/usr/sbin/sshd")
AGENT = Path(__file__).resolve().parents[2] / "agent"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sshd(live_server, site_admin, machine):
    """sshd with its AuthorizedKeysCommand, on a shared local account (root) of machine dgx-01."""
    if not SSHD.exists() or not shutil.which("ssh"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the sshd tests: apt-get install openssh-server openssh-client")
        pytest.skip("sshd or ssh is not installed (apt-get install openssh-server openssh-client)")
    if os.geteuid() != 0:
        pytest.skip("sshd runs its AuthorizedKeysCommand only from a root-owned path: run as root")
    # sshd checks that the command and every directory above it belong to root and are not
    # writable by others: /tmp (world-writable) would not do.
    home = Path("/var/lib/reservoir-sshd-test") / uuid.uuid4().hex[:12]
    home.mkdir(parents=True, mode=0o700)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / "host")], check=True)
    _, secret = services.machine_token_create(actor=site_admin, resource=machine["server"], name="dgx-01")
    agent_conf = home / "agent.conf"

    def configure(server, account="shared:root"):
        agent_conf.write_text(
            f"[reservoir]\nserver = {server}\ntoken = {secret}\nresource = dgx-01\naccount = {account}\n"
            f"cache_dir = {home / 'cache'}\nfresh_seconds = 0\ntimeout_seconds = 3\n"
        )

    def agent(*args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "reservoir_agent", "--config", str(agent_conf), *args],
            capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(AGENT)},
        )  # fmt: skip

    configure(live_server.url)
    command = home / "keys"
    command.write_text(
        f'#!/bin/sh\nPYTHONPATH={AGENT} exec {sys.executable} -m reservoir_agent --config {agent_conf} keys "$1"\n'
    )
    command.chmod(0o755)
    port = _free_port()
    (home / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {home / 'host'}\nPidFile {home / 'sshd.pid'}\n"
        f"AuthorizedKeysFile none\nAuthorizedKeysCommand {command} %u\nAuthorizedKeysCommandUser root\n"
        "PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "UsePAM no\nPermitRootLogin prohibit-password\nLogLevel VERBOSE\n"
    )
    server = subprocess.Popen(
        [str(SSHD), "-D", "-e", "-f", str(home / "sshd_config")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    else:
        server.kill()
        pytest.fail(f"sshd did not start: {server.stdout.read().decode(errors='replace')}")

    def ssh(private_key: bytes, account: str, *command: str, tty: bool = False) -> list[str]:
        identity = home / f"id-{uuid.uuid4().hex[:6]}"
        identity.write_bytes(private_key)
        identity.chmod(0o600)
        return ["ssh", "-i", str(identity), "-p", str(port), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10",
                "-o", "LogLevel=ERROR", *(["-tt"] if tty else []), f"{account}@127.0.0.1", *command]  # fmt: skip

    def login(private_key: bytes) -> subprocess.CompletedProcess:
        return subprocess.run(ssh(private_key, "root", "echo", "logged-in"), capture_output=True, text=True, timeout=60)

    yield {"login": login, "configure": configure, "agent": agent, "ssh": ssh, "server_url": live_server.url}
    server.terminate()
    server.wait(timeout=10)
    shutil.rmtree(home, ignore_errors=True)


def _book(resource, owner, start_in, end_in):
    now = timezone.now()
    return Reservation.objects.create(
        resource=resource, owner=owner, start=now + timedelta(minutes=start_in), end=now + timedelta(minutes=end_in)
    )


def test_the_holders_key_logs_in_during_the_booking_and_no_one_elses(sshd, machine, member, second_member, with_key):
    mine, _ = with_key(member)
    theirs, _ = with_key(second_member)
    _book(machine["gpus"][0], member, -5, 55)  # a part of dgx-01: the server is theirs to log in to
    _book(machine["server"], second_member, 60, 120)  # next, not yet

    held = sshd["login"](mine)
    assert held.returncode == 0 and held.stdout.strip() == "logged-in", held.stderr
    refused = sshd["login"](theirs)
    assert refused.returncode == 255 and "Permission denied" in refused.stderr


def test_before_and_after_the_booking_the_key_is_refused(sshd, machine, member, with_key):
    mine, _ = with_key(member)
    booking = _book(machine["server"], member, 5, 65)
    assert sshd["login"](mine).returncode == 255  # before
    Reservation.objects.filter(pk=booking.pk).update(
        start=timezone.now() - timedelta(minutes=65), end=timezone.now() - timedelta(minutes=5)
    )
    assert sshd["login"](mine).returncode == 255  # after


def test_while_the_server_is_away_the_holder_still_logs_in_until_the_end(
    sshd, machine, member, second_member, with_key
):
    mine, _ = with_key(member)
    theirs, _ = with_key(second_member)
    _book(machine["server"], member, -5, 55)
    assert sshd["login"](mine).returncode == 0  # the agent fetched and cached the state
    sshd["configure"]("http://127.0.0.1:9")  # the server is gone
    held = sshd["login"](mine)
    assert held.returncode == 0 and held.stdout.strip() == "logged-in", held.stderr
    assert sshd["login"](theirs).returncode == 255


@pytest.fixture
def local_holder(site_a):
    """A local account (uid >= 1000, as a person's) and the Reservoir member of the same name."""
    from tenancy.models import Membership, Role
    from tests.factories import UserFactory

    name = "rsvholder"
    if subprocess.run(["id", name], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True)
    subprocess.run(["usermod", "-p", "*", name], check=True)  # not locked: sshd without PAM refuses "!"
    user = UserFactory(username=name)
    Membership.objects.create(site=site_a, user=user, role=Role.MEMBER)
    yield user
    subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)


def _processes_of(name: str) -> list[str]:
    found = subprocess.run(["pgrep", "-a", "-u", name], capture_output=True, text=True)
    return found.stdout.splitlines()


def _wait(condition, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_holder_is_warned_before_the_end_and_their_sessions_end_at_it(sshd, machine, local_holder, with_key):
    mine, _ = with_key(local_holder)
    sshd["configure"](sshd["server_url"], account="own")
    booking = _book(machine["server"], local_holder, -5, 8)  # ends within the 10 minutes' warning
    session = subprocess.Popen(
        sshd["ssh"](mine, local_holder.username, "sleep", "600", tty=True),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert _wait(lambda: any("sleep 600" in p for p in _processes_of(local_holder.username))), "no session"

    first = sshd["agent"]("run", "--once")
    assert first.returncode == 0, first.stderr
    assert "warned rsvholder (1 terminals)" in first.stderr
    assert any("sleep 600" in p for p in _processes_of(local_holder.username))  # warned, not ended

    Reservation.objects.filter(pk=booking.pk).update(end=timezone.now() - timedelta(seconds=1))
    second = sshd["agent"]("run", "--once")
    assert f"booking {booking.pk} of rsvholder ended: sessions of rsvholder ended" in second.stderr, second.stderr
    session.wait(timeout=20)
    assert b"Reservoir: your booking ends in " in session.stdout.read()
    assert _wait(lambda: not _processes_of(local_holder.username)), _processes_of(local_holder.username)
