import json
import os
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from common.db.database import database_url
from config.celery import WORKER_QUEUES, worker_command


class Receiver:
    """A real HTTP server on loopback that records what it gets. Paths choose the answer:
    /ok 200, /bad 400, /gone 410, /flaky/<n> 503 for the first n calls then 200,
    /slow/<seconds> sleeps then 200, /retry-after/<seconds> 429 with Retry-After once then 200."""

    def __init__(self):
        self.requests: list[dict] = []
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.calls[self.path] = receiver.calls.get(self.path, 0) + 1
                    count = receiver.calls[self.path]
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body, "at": time.time()}
                    )
                status, extra = 200, {}
                parts = self.path.strip("/").split("/")
                if parts[0] == "bad":
                    status = 400
                elif parts[0] == "gone":
                    status = 410
                elif parts[0] == "flaky" and count <= int(parts[1]):
                    status = 503
                elif parts[0] == "slow":
                    time.sleep(float(parts[1]))
                elif parts[0] == "retry-after" and count == 1:
                    status, extra = 429, {"Retry-After": parts[1]}
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"received": True}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, path: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if path is None or r["path"] == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 20) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(path)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"expected {count} requests on {path}, got {len(self.received(path))}")


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


class Worker:
    """A real Celery worker process on the real broker, using the test database."""

    def __init__(self, log_file=None, level="warning", **extra_env):
        self.process = None
        self.extra_env = extra_env
        self.log_file, self.level = log_file, level

    def start(self, answers_to=None):
        """`answers_to`: the Celery app whose control channel the worker listens on (another
        installation's, for a worker started with its own CELERY_BROKER_KEY_PREFIX)."""
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "WEBHOOK_RETRY_SCHEDULE": "0.3,0.6,0.9,1.2",
            "WEBHOOK_LEASE_GRACE_SECONDS": "1",
            "WEBHOOK_DISABLE_AFTER_FAILED_EVENTS": "3",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.process = subprocess.Popen(
            worker_command(pool="threads", concurrency=8, level=self.level, quiet=True),
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log_file, "a") if self.log_file else subprocess.DEVNULL,  # noqa: SIM115 - the child owns it
            start_new_session=True,
        )
        from config.celery import app

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if (answers_to or app).control.ping(timeout=0.5):
                return self
        raise RuntimeError("the Celery worker did not answer")

    def ensure_running(self) -> bool:
        """What a supervisor does (compose's restart policy, a Kubernetes Deployment): start the
        worker again if it exited. kombu's Redis transport can crash the worker while it reconnects
        after an outage (celery/celery#10205). Returns whether it had to."""
        if self.process is None or self.process.poll() is None:
            return False
        if self.log_file:
            with open(self.log_file, "a") as log:
                log.write(f"\n--- worker exited with {self.process.returncode}; started again ---\n")
        self.process = None
        self.start()
        return True

    def kill(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def purge_queues() -> None:
    """Drop every waiting task (as a broker restarted without persistence would)."""
    from config.celery import app

    with app.connection_for_write() as conn:
        for queue in WORKER_QUEUES:
            conn.default_channel.queue_purge(queue)


@pytest.fixture
def worker(transactional_db):
    purge_queues()  # nothing left over from earlier tests
    running = Worker().start()
    yield running
    running.stop()


@pytest.fixture
def worker_factory(transactional_db):
    """Start a worker later in the test (e.g. after pointing the app at another broker)."""
    started = []

    def start(**extra_env):
        started.append(Worker(**extra_env).start())
        return started[-1]

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def scene(transactional_db):
    from .support import make_scene

    return make_scene()
