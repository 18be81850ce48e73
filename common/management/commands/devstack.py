"""Run the whole application locally: migrate, load demo data, then web + Celery worker + beat.

Ctrl-C stops all three, then the embedded PostgreSQL and Redis this process started.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from common.db.database import database_url
from config.celery import app, beat_command, worker_command


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Start web, worker and beat together with demo data (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")

    def handle(self, *args, host, port, no_demo, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        logins = ""
        if not no_demo:
            from io import StringIO

            out = StringIO()
            call_command("seed_demo", stdout=out)
            call_command("seed_demo_machines", stdout=StringIO())
            call_command("seed_demo_training", stdout=StringIO())
            call_command("seed_demo_billing", stdout=StringIO())
            logins = out.getvalue()

        env = {
            **os.environ,
            "HOST": host,
            "PORT": str(port),
            "SITE_URL": os.environ.get("SITE_URL") or f"http://{host}:{port}",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "PYTHONUNBUFFERED": "1",
        }
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            # After the logins nothing routine is printed: workers and beat say only what goes wrong.
            "worker": worker_command(concurrency=2, level="warning"),
            "beat": beat_command(schedule=settings.CELERY_BEAT_SCHEDULE_FILENAME, level="warning"),
        }
        # Explicitly: a shell that starts us in the background leaves SIGINT ignored.
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
        children = {name: subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env) for name, cmd in commands.items()}
        try:
            url = f"http://{host}:{port}/"
            self._wait_for_web(url, children["web"])
            self._wait_for_worker(children["worker"])
            time.sleep(0.5)  # beat's first lines come before the address: the address is the last thing said
            self.stdout.write(
                self.style.SUCCESS(f"\nReservoir is running at {url}  (admin: {url}admin/, API: {url}api/)")
            )
            if logins:
                self.stdout.write("Demo logins (username / password):\n" + logins)
            self.stdout.write("Press Ctrl-C to stop web, worker and beat.\n")
            while all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
            dead = [name for name, child in children.items() if child.poll() is not None]
            self.stderr.write(f"{', '.join(dead)} exited; stopping the others.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping...")
        finally:
            self._stop(children)

    def _wait_for_web(self, url: str, web: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and web.poll() is None:
            try:
                with urllib.request.urlopen(url + "healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)

    def _wait_for_worker(self, worker: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            if app.control.ping(timeout=1):
                return

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
