"""The agent's readers: GPUs from real nvidia-smi output and the same readings through NVML (there
is no GPU here), and sessions, load and processes read for real from this machine's /proc."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from reservoir_agent import loop, usage
from reservoir_agent.usage import Process

from tests.agent.conftest import AGENT
from webhooks.transport.signing import generate_secret, headers

FIXTURES = Path(__file__).parent / "fixtures"
A5000 = (FIXTURES / "nvidia-smi-dual-a5000.xml").read_text()
EXPECTED = [
    {"index": 0, "uuid": "GPU-12345678-aaaa-bbbb-cccc-0123456789ab", "name": "NVIDIA RTX A5000",
     "utilization": 0.0, "memory_used": 22437, "memory_total": 24564},
    {"index": 1, "uuid": "GPU-12345678-aaaa-bbbb-cccc-0123456789cd", "name": "NVIDIA RTX A5000",
     "utilization": 0.0, "memory_used": 17253, "memory_total": 24564},
]  # fmt: skip


def test_nvidia_smi_xml_of_two_real_gpus():
    assert usage.gpus_from_smi_xml(A5000) == EXPECTED


class FakeNvml:
    """NVML's calls (as nvidia-ml-py names them) answering with the readings of the fixture's GPUs,
    in NVML's units: bytes, and names and UUIDs as bytes, as older releases give them."""

    class NVMLError(Exception):
        pass

    def __init__(self, gpus):
        self.gpus, self.open = gpus, False

    def nvmlInit(self):
        self.open = True

    def nvmlShutdown(self):
        self.open = False

    def nvmlDeviceGetCount(self):
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index):
        return self.gpus[index]

    def nvmlDeviceGetName(self, handle):
        return handle["name"].encode()

    def nvmlDeviceGetUUID(self, handle):
        return handle["uuid"]

    def nvmlDeviceGetMemoryInfo(self, handle):
        return SimpleNamespace(used=handle["memory_used"] * 2**20, total=handle["memory_total"] * 2**20)

    def nvmlDeviceGetUtilizationRates(self, handle):
        return SimpleNamespace(gpu=int(handle["utilization"]), memory=0)


def test_nvml_gives_the_same_readings_and_is_shut_down():
    nvml = FakeNvml(EXPECTED)
    assert usage.gpus_from_nvml(nvml) == EXPECTED
    assert not nvml.open


def test_without_nvml_or_nvidia_smi_there_are_no_gpus(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails as if it were not installed
    assert usage.gpus() == []


def test_processes_are_read_from_proc_with_their_owner_and_start():
    child = subprocess.Popen(["sleep", "30"])
    try:
        time.sleep(0.2)
        mine = {p.pid: p for p in usage.processes()}[child.pid]
        assert mine.uid == os.getuid() and mine.command == "sleep 30"
        assert abs(mine.started - time.time()) < 5
    finally:
        child.kill()
        child.wait()


def test_load_is_this_machines():
    assert usage.load() == round(os.getloadavg()[0], 2)


def test_sessions_are_sshds_per_user_processes():
    found = [
        Process(1, 0, "root", "sshd: alice@pts/0", 0),
        Process(2, 0, "root", "sshd-session: bob@notty", 0),
        Process(3, 0, "root", "sshd: carol [priv]", 0),  # not logged in yet
        Process(4, 0, "root", "/usr/sbin/sshd -D", 0),
    ]
    assert usage.logged_in(found) == ["alice", "bob"]


def test_foreign_use_is_people_other_than_the_holders():
    found = [
        Process(10, 1001, "alice", "python train.py", 0),
        Process(11, 1002, "mallory", "python mine.py", 0),
        Process(12, 1002, "mallory", "bash", 0),
        Process(13, 0, "root", "cron", 0),
        Process(14, 65534, "nobody", "dnsmasq", 0),
    ]
    assert usage.foreign(found, {"alice"}) == [
        {"user": "mallory", "processes": 2, "commands": ["bash", "python mine.py"]}
    ]


def test_a_webhook_wakes_the_agent_only_when_signed_by_its_secret():
    secret, body, now = generate_secret(), b'{"type": "reservation.created"}', int(time.time())
    good = headers([secret], "msg_1", now, body)
    assert loop.signed(secret, good, body, now)
    assert not loop.signed(secret, good, body + b" ", now)  # another body
    assert not loop.signed(generate_secret(), good, body, now)  # another secret
    assert not loop.signed(secret, headers([secret], "msg_1", now - 600, body), body, now)  # too old


def test_run_once_pulls_and_reports_a_sample(reservoir, agent_config, run_agent):
    start = datetime.now(UTC) - timedelta(minutes=5)
    reservoir.document = {"holders": [{"booking": 7, "username": "alice", "start": start.isoformat(),
                                       "end": (start + timedelta(hours=1)).isoformat(), "keys": []}]}  # fmt: skip
    done = run_agent(agent_config(), "run", "--once")
    assert done.returncode == 0, done.stderr
    (sample,) = reservoir.samples
    assert sample["interval_seconds"] == 60 and sample["load"] >= 0 and sample["gpus"] == []
    assert isinstance(sample["logged_in"], list) and isinstance(sample["foreign"], list)
    assert reservoir.seen_tokens == ["Machine rsm_test", "Machine rsm_test"]


def test_run_once_goes_on_when_the_server_is_away(reservoir, agent_config, run_agent):
    reservoir.up = False
    done = run_agent(agent_config(), "run", "--once")
    assert done.returncode == 0
    assert "cannot be reached" in done.stderr and "the sample was not sent" in done.stderr


def test_the_service_pulls_at_once_on_a_signed_webhook_or_sigusr1(reservoir, agent_config, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    secret = generate_secret()
    config = agent_config(extra=f"pull_seconds = 3600\nlisten = 127.0.0.1:{port}\nwebhook_secret = {secret}\n")
    service = subprocess.Popen(
        [sys.executable, "-m", "reservoir_agent", "--config", str(config), "run"],
        env={"PYTHONPATH": str(AGENT), "PATH": "/usr/bin:/bin"}, stderr=subprocess.PIPE,
    )  # fmt: skip
    pulls = lambda: sum(1 for t in reservoir.seen_tokens if t) - len(reservoir.samples)  # noqa: E731
    try:
        assert _until(lambda: pulls() == 1 and _listening(port))
        body = b'{"type": "reservation.created"}'
        unsigned = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(unsigned, timeout=5)
        assert refused.value.code == 401
        signed = urllib.request.Request(
            f"http://127.0.0.1:{port}/", data=body, method="POST",
            headers=headers([secret], "msg_1", int(time.time()), body),
        )  # fmt: skip
        assert urllib.request.urlopen(signed, timeout=5).status == 204
        assert _until(lambda: pulls() == 2), "the webhook did not make it pull"
        service.send_signal(signal.SIGUSR1)
        assert _until(lambda: pulls() == 3), "SIGUSR1 did not make it pull"
    finally:
        service.terminate()
        service.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _until(condition, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
