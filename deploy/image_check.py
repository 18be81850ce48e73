#!/usr/bin/env python3
"""Build the production image and run what it holds, as its user, where no container can start.

    .venv/bin/python deploy/image_check.py [--base localhost/reservoir-base:bookworm] [--tag ...]

CI calls this. It builds the Dockerfile with Debian's podman (chroot isolation, host network, no
pulls) from a Debian-rooted base (deploy/base_image.sh makes one with debootstrap), then mounts a
container's file system and runs, with `chroot --userspec` as the image's user and with the image's
own environment, working directory and entrypoint:

- migrate, against DATABASE_URL (a fresh database of its own on that server);
- the web by the image's own command, and a Celery worker and beat by the words compose gives them;

and proves: /readyz answers 200; static files are served with hashed names under DEBUG=0; a booking
made through the API reaches a webhook receiver on loopback; nothing outside /tmp (where the
metrics folder lives) is writable by the app user. It prints the image's size and each step's time.
"""

import argparse
import contextlib
import http.server
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETUP = """
import json
from django.contrib.auth import get_user_model
from accounts import services as accounts
from resources.models import Resource, ResourceType
from tenancy.models import Membership, Role, Site
from webhooks import services as webhooks
admin = get_user_model().objects.create_superuser("image-admin", "image@example.org", None)
site = Site.objects.create(name="Image check", slug="image-check", time_zone="Europe/Berlin")
Membership.objects.create(site=site, user=admin, role=Role.ADMIN)
kind = ResourceType.objects.create(name="GPU server", color="#4e79a7")
node = Resource.objects.create(site=site, resource_type=kind, name="gpu01")
webhooks.webhook_create(actor=admin, site=site, name="receiver", url={url!r})
_, token = accounts.api_token_create(actor=admin, user=admin, name="image-check")
print(json.dumps({{"token": token, "resource": node.pk}}))
"""


class Failure(Exception):
    pass


def step(message: str) -> None:
    print(f"--- {message}", flush=True)


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, text=True, **kwargs)


class Image:
    """A container's file system from the image, mounted, with the image's configuration."""

    def __init__(self, tag: str):
        config = json.loads(run(["podman", "image", "inspect", tag], capture_output=True).stdout)[0]["Config"]
        self.user = config.get("User") or "root"
        self.env = dict(item.split("=", 1) for item in config.get("Env", []))
        self.workdir = config.get("WorkingDir") or "/"
        self.entrypoint = config.get("Entrypoint") or []
        self.cmd = config.get("Cmd") or []
        self.container = run(["podman", "create", tag], capture_output=True).stdout.strip()
        self.root = Path(run(["podman", "mount", self.container], capture_output=True).stdout.strip())
        self.mounts = []
        # What a container runtime gives: /proc, /dev, and a /dev/shm of its own (Celery's pool needs it).
        for source, target, options in (
            ("proc", "proc", ["-t", "proc"]),
            ("/dev", "dev", ["--bind"]),
            ("shm", "dev/shm", ["-t", "tmpfs", "-o", "mode=1777,size=64m"]),
        ):
            run(["mount", *options, source, str(self.root / target)])
            self.mounts.append(self.root / target)
        passwd = (self.root / "etc/passwd").read_text()
        entry = next(line.split(":") for line in passwd.splitlines() if line.split(":")[0] == self.user)
        self.uid, self.gid = int(entry[2]), int(entry[3])

    def argv(self, command: list[str], env: dict[str, str]) -> list[str]:
        environment = [f"{k}={v}" for k, v in {**self.env, **env}.items()]
        inner = f"cd {shlex.quote(self.workdir)} && exec " + shlex.join(command)
        return [
            "chroot",
            f"--userspec={self.uid}:{self.gid}",
            "--groups=",
            str(self.root),
            "/usr/bin/env",
            "-i",
            *environment,
            "/bin/sh",
            "-c",
            inner,
        ]

    def run(self, command: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(command, env), capture_output=True, text=True, timeout=timeout)

    def start(self, command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        return subprocess.Popen(
            self.argv(command, env), stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )

    def close(self) -> None:
        for mount in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(mount)], check=False)
        subprocess.run(["podman", "umount", self.container], check=False, capture_output=True)
        subprocess.run(["podman", "rm", "-f", self.container], check=False, capture_output=True)


class Receiver(http.server.BaseHTTPRequestHandler):
    events: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.events.append({"body": json.loads(body), "signature": self.headers.get("webhook-signature")})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def get(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)
    except OSError:
        return 0, b"", {}


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise Failure(f"{what}: not within {timeout:.0f} s")


def fresh_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        run(["psql", admin, "-q", "-c", sql])
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def compose_word(service: str) -> list[str]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][service]["command"]


def writable_outside_tmp(image: Image) -> list[str]:
    found = image.run(
        [
            "find",
            "/",
            "-xdev",
            "(",
            "-path",
            "/tmp",
            "-o",
            "-path",
            "/proc",
            "-o",
            "-path",
            "/dev",
            ")",
            "-prune",
            "-o",
            "-writable",
            "-print",
        ],
        {},
    )
    return [line for line in found.stdout.splitlines() if line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=os.environ.get("BASE_IMAGE", "localhost/reservoir-base:bookworm"))
    parser.add_argument("--tag", default="localhost/reservoir:check")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args()
    timings: dict[str, float] = {}
    started = time.monotonic()

    step(f"base image {args.base}")
    run([str(ROOT / "deploy" / "base_image.sh"), args.base])
    timings["base"] = time.monotonic() - started

    step(f"podman build -> {args.tag}")
    mark = time.monotonic()
    run(
        [
            "podman",
            "build",
            "--isolation=chroot",
            "--network=host",
            "--pull=never",
            "--layers",
            "--format",
            "docker",
            "--build-arg",
            f"BASE_IMAGE={args.base}",
            "-t",
            args.tag,
            str(ROOT),
        ]
    )
    timings["build"] = time.monotonic() - mark
    size = int(run(["podman", "image", "inspect", "--format", "{{.Size}}", args.tag], capture_output=True).stdout)

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    database = fresh_database(args.database_url, "reservoir_image_check")
    env = {
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": args.broker_url,
        "SECRET_KEY": "image-check-" + os.urandom(24).hex(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORT": str(args.port),
        "WEB_CONCURRENCY": "2",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback, as compose's trial stack
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "HOSTNAME": "image-check",
    }
    image = Image(args.tag)
    processes: list[subprocess.Popen] = []
    logs = Path(os.environ.get("IMAGE_CHECK_LOGS", "/tmp/reservoir-image-check"))
    logs.mkdir(parents=True, exist_ok=True)
    try:
        print(f"image user {image.user} ({image.uid}:{image.gid}), entrypoint {image.entrypoint}, cmd {image.cmd}")
        step(f"migrate (compose's word: {compose_word('migrate')})")
        mark = time.monotonic()
        migrated = image.run([*image.entrypoint, *compose_word("migrate")], env)
        if migrated.returncode != 0:
            raise Failure(f"migrate failed:\n{migrated.stdout}\n{migrated.stderr}")
        timings["migrate"] = time.monotonic() - mark

        step("web (the image's own command), worker and beat (compose's words)")
        mark = time.monotonic()
        processes.append(image.start([*image.entrypoint, *image.cmd], env, logs / "web.log"))
        processes.append(image.start([*image.entrypoint, *compose_word("worker")], env, logs / "worker.log"))
        processes.append(image.start([*image.entrypoint, *compose_word("beat")], env, logs / "beat.log"))
        base = f"http://127.0.0.1:{args.port}"
        wait_for(lambda: get(f"{base}/readyz")[0] == 200, 90, "/readyz 200")
        timings["ready"] = time.monotonic() - mark
        print(f"/readyz 200 after {timings['ready']:.1f} s")

        step("static files with hashed names under DEBUG=0")
        status, page, _ = get(f"{base}/accounts/login/")
        hashed = re.findall(r"/static/[\w/.-]+\.[0-9a-f]{12}\.(?:css|js)", page.decode())
        if status != 200 or not hashed:
            raise Failure(f"the login page ({status}) names no hashed static file")
        for path in sorted(set(hashed)):
            code, _, headers = get(base + path)
            if code != 200 or "immutable" not in headers.get("Cache-Control", ""):
                raise Failure(f"{path}: {code} {headers.get('Cache-Control')}")
        print(f"{len(set(hashed))} hashed static files served, immutable, e.g. {hashed[0]}")

        step("a booking through the API reaches the receiver")
        made = image.run([*image.entrypoint, "python", "manage.py", "shell", "-c", SETUP.format(url=hook_url)], env)
        if made.returncode != 0:
            raise Failure(f"setup failed:\n{made.stderr}")
        setup = json.loads(made.stdout.strip().splitlines()[-1])
        start = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(time.time() + 86400))
        end = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(time.time() + 86400 + 7200))
        body = json.dumps({"resource": setup["resource"], "start": start, "end": end, "title": "Image check"}).encode()
        mark = time.monotonic()
        code, answer, _ = get(
            f"{base}/api/reservations/",
            {"Authorization": f"Bearer {setup['token']}", "Content-Type": "application/json"},
            body,
        )
        if code != 201:
            raise Failure(f"POST /api/reservations/ answered {code}: {answer[:400]!r}")
        booking = json.loads(answer)["id"]
        event = wait_for(
            lambda: next((e for e in Receiver.events if e["body"].get("type") == "reservation.created"), None),
            60,
            "reservation.created at the receiver",
        )
        timings["webhook"] = time.monotonic() - mark
        if not event["signature"] or event["body"]["data"]["reservation"]["id"] != booking:
            raise Failure(f"unexpected delivery: {event}")
        print(f"booking {booking} created; signed reservation.created at the receiver {timings['webhook']:.2f} s later")

        step("nothing outside /tmp is writable by the app user")
        writable = writable_outside_tmp(image)
        if writable:
            raise Failure("writable by the app user outside /tmp: " + ", ".join(writable[:20]))
        metrics = env_dir = image.env.get("PROMETHEUS_MULTIPROC_DIR", "")
        if not metrics.startswith("/tmp/") or not any((image.root / metrics.lstrip("/")).iterdir()):
            raise Failure(f"the web's metrics folder {env_dir!r} is not in /tmp or holds no metrics")
        print(f"only /tmp is writable; the metrics folder {metrics} holds the web's counters")

        step("stop: SIGTERM to web, worker and beat")
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        codes = [process.wait(60) for process in processes]
        if any(code not in (0, -signal.SIGTERM) for code in codes):
            raise Failure(f"exit codes after SIGTERM: {codes}")
        processes.clear()
    except Failure as exc:
        for name in ("web", "worker", "beat"):
            if (logs / f"{name}.log").exists():
                tail = (logs / f"{name}.log").read_text().splitlines()[-30:]
                print(f"--- {name}.log (last lines)\n" + "\n".join(tail))
        print(f"IMAGE CHECK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        image.close()
        receiver.shutdown()
    total = time.monotonic() - started
    print(
        f"IMAGE CHECK PASSED: image {size / 1e6:.0f} MB; base {timings['base']:.0f} s, build {timings['build']:.0f} s, "
        f"migrate {timings['migrate']:.1f} s, ready {timings['ready']:.1f} s, webhook {timings['webhook']:.2f} s; "
        f"total {total:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
