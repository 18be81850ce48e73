"""Pieces every bench uses: percentiles, the test database's URL for child processes, gunicorn."""

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import requests
from django.conf import settings

from common.db.database import database_url


def percentile(values, p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * p) - 1)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The image's web process: WEB_CONCURRENCY (3) sync workers (deploy/entrypoint.sh). Measured against
# gthread models on two cores (issue 39, docs/performance.md): sync workers answered most.
IMAGE_WORKERS = 3


def start_gunicorn(
    workers: int = IMAGE_WORKERS, *, production: bool = False, threads: int = 1
) -> tuple[subprocess.Popen, str]:
    """`production`: DEBUG=0 with the settings the image runs (plain HTTP on loopback allowed)."""
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0" if production else "1",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    if production:
        env.update(
            SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-" + "x" * 50,
            SECURE_SSL_REDIRECT="0",
            SECURE_COOKIES="0",
            LOG_LEVEL="WARNING",
        )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            # The image writes an access line per request (deploy/entrypoint.sh): so do the benches.
            *(["--access-logfile", os.devnull, "--forwarded-allow-ips", "*"] if production else []),
        ],
        env=env,
        cwd=settings.BASE_DIR,  # gunicorn.conf.py, as in the image
        # BENCH_GUNICORN_LOG: what the server logged, for a bench that names its failures.
        stderr=open(os.environ["BENCH_GUNICORN_LOG"], "a") if os.environ.get("BENCH_GUNICORN_LOG") else None,  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base)
    return server, base


def wait_healthy(base: str, timeout: float = 30) -> None:
    """Until the server at `base` answers /healthz (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=2).ok:
                return
        except requests.RequestException:  # not listening yet, or too busy starting to answer
            time.sleep(0.2)


def wrk(url: str, *, seconds: int = 15, connections: int = 8, threads: int = 2, script: str | None = None, headers=()):
    """Load from wrk; returns (requests per second, p50 ms, p99 ms, non-2xx count)."""
    return _wrk_numbers(_run_wrk(url, seconds, connections, threads, script, headers))


# wrk's --latency table stops at p90 and p99; its Lua `done` hook reads any percentile (in µs).
P95 = 'done = function(summary, latency, requests) io.write(string.format("p95 %d\\n", latency:percentile(95))) end\n'


def wrk_p95(url: str, *, seconds: int = 15, connections: int = 8, headers=()):
    """wrk as above, with p95: (requests per second, p50 ms, p95 ms, p99 ms, non-2xx count)."""
    import re
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(P95)
    out = _run_wrk(url, seconds, connections, 2, script.name, headers)
    rps, p50, p99, bad = _wrk_numbers(out)
    return rps, p50, int(re.search(r"^p95 (\d+)$", out, re.MULTILINE).group(1)) / 1000, p99, bad


def _run_wrk(url, seconds, connections, threads, script, headers) -> str:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    return subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout


def _wrk_numbers(out: str) -> tuple[float, float, float, int]:
    import re

    def ms(label: str) -> float:
        found = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, ms("50"), ms("99"), int(bad.group(1)) if bad else 0


FILL = """
INSERT INTO reservations_reservation
    (created, updated, resource_id, owner_id, title, description, start, "end", parameters, status, cleanup,
     cancel_reason, release_reason, allocation_problem, replace_if_down, replace_where)
SELECT now(), now(), r.id, (%(owners)s::bigint[])[1 + (r.id + k) %% cardinality(%(owners)s::bigint[])],
       'job ' || k, '', s.start, s.start + (1 + (k %% 4)) * interval '1 hour',
       '{}'::jsonb, 'confirmed', interval '0', '', '', '', false, ''
FROM resources_resource r
CROSS JOIN generate_series(0, %(per_resource)s - 1) AS k
CROSS JOIN LATERAL (SELECT %(origin)s::timestamptz + k * interval '17 hours'
                           + (r.id %% 7) * %(stagger)s * interval '1 hour' AS start) s
"""


def fill_bookings(owner, per_resource: int, *, stagger: bool = False) -> tuple[int, float]:
    """Bookings of 1-4 hours every 17 hours on every resource, from as long ago as ahead (today in
    the middle), in SQL; `stagger` shifts resources by 0-6 hours so they do not all free at once.
    `owner`: a user, or a list of users taking turns. Returns (bookings in the table, seconds
    taken, ANALYZE included)."""
    from django.db import connection
    from django.utils import timezone

    origin = timezone.now() - timedelta(hours=17 * per_resource // 2)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        owners = [user.pk for user in (owner if isinstance(owner, list) else [owner])]
        params = {"owners": owners, "per_resource": per_resource, "origin": origin, "stagger": int(stagger)}
        cursor.execute(FILL, params)
        # Vacuumed as well as analyzed, as a live table is: otherwise autovacuum visits the million
        # new rows while the bench measures.
        cursor.execute("VACUUM ANALYZE reservations_reservation")
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM reservations_reservation")
        return cursor.fetchone()[0], time.perf_counter() - began


def copy_row_sql(table: str, row_id, replace: dict[str, str], *, also_from: str = "") -> str:
    """INSERT ... SELECT of one existing row with some columns replaced by SQL expressions: the
    same write as the application's, for a pgbench anchor, without spelling out every column."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, column_default, is_identity FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            [table],
        )
        columns = cursor.fetchall()
    generated = {
        name for name, default, identity in columns if identity == "YES" or (default or "").startswith("nextval(")
    }
    kept = [name for name, _, _ in columns if name in replace or name not in generated]
    values = ", ".join(replace.get(name, f'{table}."{name}"') for name in kept)
    names = ", ".join(f'"{name}"' for name in kept)
    source = f"{table}, {also_from}" if also_from else table
    return f"INSERT INTO {table} ({names}) SELECT {values} FROM {source} WHERE {table}.id = {row_id};"  # noqa: S608 - bench SQL from names it chose


def pgbench(script: str, *, clients: int, seconds: int, url: str | None = None) -> tuple[float, float]:
    """Run a custom pgbench script against the bench database: (tps, average latency in ms)."""
    import re
    import tempfile

    from common.db.database import database_url

    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
        file.write(script)
    run = subprocess.run(
        ["pgbench", "-n", "-f", file.name, "-c", str(clients), "-j", "2", "-T", str(seconds), url or database_url()],
        capture_output=True,
        text=True,
    )
    tps = re.search(r"tps = ([\d.]+)", run.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", run.stdout)
    if not tps:
        raise RuntimeError(run.stdout[-2000:] + run.stderr[-2000:])
    return float(tps.group(1)), float(latency.group(1)) if latency else float("nan")


def wrk_read(base: str, url: str, name: str, *, token: str, seconds: int, connections: int) -> str:
    """wrk GETting `url` with an API token: the line a bench prints."""
    rps, p50, p99, bad = wrk(
        base + url, seconds=seconds, connections=connections, headers=[f"Authorization: Bearer {token}"]
    )
    return f"wrk {connections} connections, {name}: {rps:.1f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, non-2xx {bad}"


def healthz_anchor(base: str, *, connections: int, seconds: int = 10) -> str:
    """The anchor for HTTP reads: the same server and load generator on /healthz (no view, no database)."""
    rps, p50, p99, _ = wrk(base + "/healthz", seconds=seconds, connections=connections)
    return f"anchor: wrk /healthz, {connections} connections: {rps:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"


def finish(server, config) -> None:
    """Stop the bench's gunicorn (if running) and drop its throw-away database."""
    from django.db import connection
    from django.test.utils import teardown_databases

    if server is not None:
        server.terminate()
        server.wait(10)
    connection.close()
    teardown_databases(config, verbosity=0)


def booking_scene(resources: int = 100) -> tuple[list[int], object, str]:
    """A site with `resources` GPUs and a member with an API token: (resource ids, user, token)."""
    from django.contrib.auth import get_user_model

    from accounts import services as accounts
    from resources.models import Resource, ResourceType
    from tenancy.models import Membership, Role, Site

    site = Site.objects.create(name="Bench", slug="bench", time_zone="Europe/Berlin")
    kind = ResourceType.objects.create(name="GPU", color="#4e79a7")
    Resource.objects.bulk_create(Resource(site=site, resource_type=kind, name=f"gpu-{i:03d}") for i in range(resources))
    user = get_user_model().objects.create_user("bench", "bench@example.org")
    Membership.objects.create(site=site, user=user, role=Role.MEMBER)
    _, token = accounts.api_token_create(actor=user, user=user, name="bench")
    return list(Resource.objects.order_by("pk").values_list("pk", flat=True)), user, token
