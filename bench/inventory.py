"""One refresh of the Ansible inventory (reservoir.reservoir.inventory) over 1,000 bookings: a member
holds 1,000 upcoming bookings on 1,000 machines, each booking with two allocations (a port and a
directory). `ansible-inventory --list` runs against gunicorn on the production settings, no cache.
Anchors from the same run: the same API pages fetched by a plain requests loop (what the plugin
cannot do faster), `ansible-inventory --version` (Ansible's own start), and wrk on /healthz.

    .venv/bin/python -m bench.inventory [--bookings 1000] [--runs 5]
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
os.environ.setdefault("TEST_DATABASE_NAME", "bench_inventory")

from bench.production_env import use_production_settings

use_production_settings()

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services as accounts  # noqa: E402
from bench.support import finish, healthz_anchor, start_gunicorn, wait_healthy  # noqa: E402
from registry.models import Allocation  # noqa: E402
from reservations.models import Reservation  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Membership, Role, Site  # noqa: E402

BIN = Path(sys.executable).parent


def fill(count: int):
    site = Site.objects.create(name="Bench", slug="bench", time_zone="UTC")
    kind = ResourceType.objects.create(name="GPU server", color="#4e79a7")
    member = get_user_model().objects.create_user("member", "m@example.org")
    Membership.objects.create(site=site, user=member, role=Role.MEMBER)
    machines = Resource.objects.bulk_create(
        Resource(site=site, resource_type=kind, name=f"gpu{i:04d}", attributes={"ip": f"10.{i // 250}.{i % 250}.1"})
        for i in range(count)
    )
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    bookings = Reservation.objects.bulk_create(
        Reservation(resource=m, owner=member, start=start, end=start + timedelta(hours=8)) for m in machines
    )
    now = timezone.now()
    Allocation.objects.bulk_create(
        Allocation(
            site=site,
            resource_type=kind_,
            resource_name=f"job {b.pk} {kind_}",
            resource_value=value,
            owner_service=f"booking-{b.pk}",
            booking=b,
            allocated_at=now,
            port_number=20000 + i if kind_ == "port" else None,
        )
        for i, b in enumerate(bookings)
        for kind_, value in (("port", str(20000 + i)), ("directory", f"/scratch/job-{b.pk}"))
    )
    connection.cursor().execute("ANALYZE")
    _, token = accounts.api_token_create(actor=member, user=member, name="bench")
    return site, token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    config = setup_databases(verbosity=0, interactive=False)
    server = None
    try:
        site, token = fill(args.bookings)
        connection.close()
        server, base = start_gunicorn(production=True)
        wait_healthy(base)
        work = Path(tempfile.mkdtemp())
        source = work / "bench.reservoir.yml"
        source.write_text(json.dumps({"plugin": "reservoir.reservoir.inventory", "host_attribute": "ip"}))
        env = {
            **os.environ,
            "ANSIBLE_COLLECTIONS_PATH": str(settings.BASE_DIR),
            "ANSIBLE_HOME": str(work / "home"),
            "RESERVOIR_URL": base,
            "RESERVOIR_TOKEN": token,
        }
        refreshes, hosts = [], 0
        for _ in range(args.runs):
            began = time.perf_counter()
            run = subprocess.run(
                [str(BIN / "ansible-inventory"), "-i", str(source), "--list"], env=env, capture_output=True, text=True
            )
            refreshes.append(time.perf_counter() - began)
            assert run.returncode == 0, run.stderr[-2000:]
            hosts = len(json.loads(run.stdout)["_meta"]["hostvars"])
        starts = []
        for _ in range(args.runs):
            began = time.perf_counter()
            subprocess.run([str(BIN / "ansible-inventory"), "--version"], env=env, capture_output=True, check=True)
            starts.append(time.perf_counter() - began)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        reads = []
        window = {"start": timezone.now().isoformat(), "end": (timezone.now() + timedelta(days=366)).isoformat()}
        for _ in range(args.runs):
            began = time.perf_counter()
            for path, query in (
                ("/api/reservations/", {"mine": "true", "status": ["confirmed", "pending"], **window}),
                ("/api/resources/", {"site": site.pk}),
                ("/api/system-resources/", {"site": site.pk}),
            ):
                page = 1
                while True:
                    answer = session.get(base + path, params={**query, "page": page, "page_size": 1000}).json()
                    if not answer.get("next"):
                        break
                    page += 1
            reads.append(time.perf_counter() - began)
        print(
            f"inventory refresh over {args.bookings} bookings ({hosts} hosts, {2 * args.bookings} allocations), "
            f"ansible-inventory --list, no cache: p50 {statistics.median(refreshes):.2f} s, "
            f"min {min(refreshes):.2f} s, max {max(refreshes):.2f} s"
        )
        print(
            f"anchors: the same API pages by a plain requests loop p50 {statistics.median(reads):.2f} s; "
            f"ansible-inventory --version p50 {statistics.median(starts):.2f} s; " + healthz_anchor(base, connections=8)
        )
    finally:
        finish(server, config)


if __name__ == "__main__":
    main()
