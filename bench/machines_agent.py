"""The agent's two costs, on the production settings: how long sshd waits for `reservoir-agent keys`
(cached and uncached), and what 1,000 machines reporting every minute cost the server.

    .venv/bin/python -m bench.machines_agent [--machines 1000] [--logins 200] [--seconds 20]

`keys`: the agent as sshd runs it (a new process per login), p50 and p99 over --logins runs, with
the cache fresh (no network) and with fresh_seconds = 0 (a GET to gunicorn each time); beside it,
the same interpreter doing nothing (`python -c pass`), the floor of any Python AuthorizedKeysCommand.

Ingestion: wrk POSTs samples to /api/agent/usage/ with --machines machine tokens in turn, each
machine booked now (so every sample also updates its booking's summary under its row lock). It
reports the rate, the CPU seconds gunicorn and PostgreSQL spent per sample, and from those the share
of one core that 1,000 machines at one sample a minute take; the rows and bytes (table and indexes)
one machine adds per day; and, as the anchor, pgbench inserting the same sample rows.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir")

from bench.production_env import use_production_settings

use_production_settings()

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services as account_services  # noqa: E402
from bench.support import copy_row_sql, finish, percentile, pgbench, start_gunicorn, wrk  # noqa: E402
from machines import services  # noqa: E402
from machines.models import UsageSample  # noqa: E402
from reservations.models import Reservation  # noqa: E402
from resources.models import Resource, ResourceType, Site  # noqa: E402
from tenancy.models import Membership, Role  # noqa: E402

AGENT = Path(__file__).resolve().parents[1] / "agent"
# The agent runs on the machine's own Python (Debian's here), not in the server's virtualenv, whose
# site-packages alone add ~10 ms to every start.
AGENT_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFUFIBtS+aNFOgkbFFnxmYwIP9xFjYTyYmsgB/F7deKH bench@laptop"
SAMPLE = {
    "load": 3.2,
    "logged_in": ["bench-holder"],
    "gpus": [
        {"index": i, "uuid": f"GPU-{i}", "name": "NVIDIA A100-SXM4-80GB", "utilization": 87.0,
         "memory_used": 61234, "memory_total": 81920}
        for i in range(8)
    ],
    "foreign": [],
}  # fmt: skip


def seed(machines: int):
    site = Site.objects.create(name="Bench site", slug="bench")
    kind = ResourceType.objects.create(name="GPU server", site=site)
    admin = get_user_model().objects.create_superuser("bench-admin", "a@example.org", "x")
    holder = get_user_model().objects.create_user("bench-holder", "h@example.org", "x")
    Membership.objects.create(site=site, user=holder, role=Role.MEMBER)
    account_services.ssh_key_add(actor=holder, user=holder, public_key=KEY, label="laptop")
    Resource.objects.bulk_create(
        Resource(site=site, resource_type=kind, name=f"gpu-node-{i:04d}") for i in range(machines)
    )
    now = timezone.now()
    resources = list(Resource.objects.filter(site=site).order_by("pk"))
    Reservation.objects.bulk_create(
        Reservation(resource=r, owner=holder, start=now - timedelta(hours=1), end=now + timedelta(hours=5))
        for r in resources
    )
    secrets = [services.machine_token_create(actor=admin, resource=r, name=r.name)[1] for r in resources]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return resources, secrets


def timed_runs(command: list[str], runs: int, env: dict) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), percentile(samples, 0.99)


def keys_bench(base: str, secret: str, runs: int) -> None:
    env = {"PYTHONPATH": str(AGENT), "PATH": os.environ["PATH"]}
    with tempfile.TemporaryDirectory() as home:
        for fresh, label in ((90, "cached (fresh cache, no network)"), (0, "uncached (GET to the server)")):
            conf = Path(home) / f"agent-{fresh}.conf"
            conf.write_text(
                f"[reservoir]\nserver = {base}\ntoken = {secret}\nresource = gpu-node-0000\n"
                f"account = own\ncache_dir = {home}/cache-{fresh}\nfresh_seconds = {fresh}\n"
            )
            command = [AGENT_PYTHON, "-m", "reservoir_agent", "--config", str(conf), "keys", "bench-holder"]
            printed = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
            assert KEY in printed, printed
            p50, p99 = timed_runs(command, runs, env)
            print(f"keys, {label:36} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({runs} logins)")
        p50, p99 = timed_runs([AGENT_PYTHON, "-c", "pass"], runs, env)
        print(f"anchor: {AGENT_PYTHON + ' -c pass (the floor)':42} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")


def cpu_seconds(pids) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def tree(root: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(root)], capture_output=True, text=True).stdout.split()
    return [root, *map(int, found)]


def postgres_pids() -> list[int]:
    return [int(p) for p in subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout.split()]


LUA = """
local tokens = {%(tokens)s}
local body = [[%(body)s]]
local n = 0
request = function()
  n = n + 1
  local token = tokens[(n %% #tokens) + 1]
  return wrk.format("POST", "/api/agent/usage/", {["Authorization"] = "Machine " .. token,
    ["Content-Type"] = "application/json"}, body)
end
"""


def ingestion_bench(base: str, server, secrets: list[str], seconds: int, machines: int) -> None:
    body = json.dumps({**SAMPLE, "taken_at": timezone.now().isoformat()})
    tokens = ", ".join(f'"{s}"' for s in secrets)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"tokens": tokens, "body": body})
    before_rows = UsageSample.objects.count()
    app, db = tree(server.pid), postgres_pids()
    app_cpu, db_cpu = cpu_seconds(app), cpu_seconds(db)
    rps, p50, p99, bad = wrk(base + "/api/agent/usage/", seconds=seconds, connections=8, script=script.name)
    app_used, db_used = cpu_seconds(tree(server.pid)) - app_cpu, cpu_seconds(postgres_pids()) - db_cpu
    rows = UsageSample.objects.count() - before_rows
    per_app, per_db = app_used / rows * 1000, db_used / rows * 1000
    rate = machines / 60
    print(
        f"ingestion, wrk 8 connections: {rps:.1f} samples/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, non-2xx {bad}; "
        f"{rows} rows"
    )
    print(
        f"CPU per sample: gunicorn {per_app:.2f} ms, PostgreSQL {per_db:.2f} ms; {machines} machines at one a minute "
        f"({rate:.1f}/s): {rate * per_app / 10:.1f} % of one core (gunicorn) + {rate * per_db / 10:.1f} % (PostgreSQL)"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE machines_usagesample")
        cursor.execute("SELECT pg_total_relation_size('machines_usagesample'), count(*) FROM machines_usagesample")
        size, count = cursor.fetchone()
    per_row = size / count
    print(
        f"storage: {per_row:.0f} bytes per sample (table, TOAST and indexes); one machine-day = 1440 rows, "
        f"{per_row * 1440 / 1e6:.2f} MB; {machines} machines x USAGE_RETENTION_DAYS=30: "
        f"{per_row * 1440 * machines * 30 / 1e9:.1f} GB"
    )
    first = UsageSample.objects.order_by("pk").first()
    insert = copy_row_sql("machines_usagesample", first.pk, {"taken_at": "now()"})
    tps, latency = pgbench(insert, clients=8, seconds=10)
    print(f"anchor: pgbench inserting the same sample row, 8 clients: {tps:.0f} tps, {latency:.2f} ms average")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--machines", type=int, default=1000)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    config = setup_databases(verbosity=0, interactive=False)
    server = None
    try:
        _, secrets = seed(args.machines)
        print(f"{args.machines} machines, each booked now, each with its machine token; production settings")
        connection.close()
        server, base = start_gunicorn(production=True)
        keys_bench(base, secrets[0], args.logins)
        ingestion_bench(base, server, secrets, args.seconds, args.machines)
    finally:
        finish(server, config)


if __name__ == "__main__":
    main()
