"""Training and billing at scale, on the production settings (DEBUG=0, this process, one client):

    .venv/bin/python -m bench.billing [--charges 10000] [--creates 200] [--seconds 15]

1. What the qualification check and the budget check add to one booking write: in-process creates
   of one-hour bookings on a type with neither, with a training requirement (the person qualified),
   and charged to a project with an hour budget; ms per create (p50, p95) and statements per create.
   The anchor is the first: the same write without them.
2. A statement of a project with 10,000 charges in its month: built (selector), as CSV and as PDF,
   ms and statements; then over HTTP (gunicorn as the image runs it, wrk, the PI's API token) the
   statement API, with wrk on /healthz as the anchor.
"""

import argparse
import os
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir")

from bench.production_env import use_production_settings

use_production_settings()

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services as accounts  # noqa: E402
from bench.support import finish, healthz_anchor, percentile, start_gunicorn, wrk_read  # noqa: E402
from billing import selectors, services, statements  # noqa: E402
from billing.models import BookingProject, Charge  # noqa: E402
from reservations import services as bookings  # noqa: E402
from reservations.models import Reservation  # noqa: E402
from resources.models import Resource, ResourceType  # noqa: E402
from tenancy.models import Membership, Role, Site  # noqa: E402
from training import services as training  # noqa: E402
from training.models import Requirement  # noqa: E402


def creates(owner, resources, count: int, day: int) -> tuple[float, float, float]:
    """ms p50, p95 and statements per create of `count` one-hour bookings, one per resource and hour."""
    samples, queries = [], []
    start = (timezone.now() + timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
    for i in range(count):
        resource = resources[i % len(resources)]
        at = start + timedelta(hours=i // len(resources))
        with CaptureQueriesContext(connection) as captured:
            t = time.perf_counter()
            bookings.reservation_create(actor=owner, resource=resource, start=at, end=at + timedelta(hours=1))
            samples.append((time.perf_counter() - t) * 1000)
        queries.append(len(captured.captured_queries))
    return statistics.median(samples), percentile(samples, 0.95), statistics.mean(queries)


def measure_writes(site, user, args) -> None:
    plain = ResourceType.objects.create(site=site, name="Plain")
    trained = ResourceType.objects.create(site=site, name="Trained")
    billed = ResourceType.objects.create(site=site, name="Billed")
    pools = {
        kind.name: [Resource.objects.create(site=site, resource_type=kind, name=f"{kind.name}-{n}") for n in range(10)]
        for kind in (plain, trained, billed)
    }
    requirement = Requirement.objects.create(resource_type=trained, lapse_months=12)
    training.qualification_grant(actor=None, user=user, requirement=requirement)
    project = services.project_create(actor=None, name="Bench", code="B-1", pi=user, sites=[site],
                                      starts_on=date.today() - timedelta(days=1))  # fmt: skip
    services.default_project_set(actor=user, project=project)
    services.budget_save(actor=None, project=project, resource_type=billed, period="month", hours=Decimal(100000))
    creates(user, pools["Plain"], 20, 40)  # warm up
    rows = [
        ("no training, no project budget (anchor)", pools["Plain"], 50),
        ("training required, qualified", pools["Trained"], 60),
        ("charged to a project with an hour budget", pools["Billed"], 70),
    ]
    print(f"booking create in process, {args.creates} each:")
    for name, pool, day in rows:
        p50, p95, queries = creates(user, pool, args.creates, day)
        print(f"  {name:45} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  {queries:4.1f} statements")


def fill_charges(site, project, user, count: int) -> None:
    """`count` finished one-hour bookings of this month, each with its charge (inserted in bulk)."""
    kind = ResourceType.objects.create(site=site, name="Charged")
    resources = [Resource.objects.create(site=site, resource_type=kind, name=f"charged-{n}") for n in range(50)]
    first = timezone.now().astimezone(selectors.zone()).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    made = Reservation.objects.bulk_create(
        Reservation(resource=resources[i % 50], owner=user, start=first + timedelta(minutes=10 * (i // 50)),
                    end=first + timedelta(minutes=10 * (i // 50) + 9))
        for i in range(count)
    )  # fmt: skip
    BookingProject.objects.bulk_create(BookingProject(reservation=r, project=project) for r in made)
    Charge.objects.bulk_create(
        Charge(reservation=r, project=project, resource_type=kind, resource_name=r.resource.name, owner=user,
               site=site, start=r.start, end=r.end, hours=Decimal("0.25"), price_group="internal",
               per_hour=Decimal("12.00"), amount=Decimal("3.00"), rule="booked")
        for r in made
    )  # fmt: skip


def timed(call, repeat: int = 5) -> tuple[float, int]:
    call()
    samples, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            t = time.perf_counter()
            call()
            samples.append((time.perf_counter() - t) * 1000)
        queries = len(captured.captured_queries)
    return statistics.median(samples), queries


def measure_statement(site, user, args) -> None:
    project = services.project_create(actor=None, name="Statement", code="S-1", pi=user, sites=[site],
                                      starts_on=date.today() - timedelta(days=40))  # fmt: skip
    started = time.perf_counter()
    fill_charges(site, project, user, args.charges)
    print(f"{args.charges:,} charges in one month, filled in {time.perf_counter() - started:.0f} s")
    now = timezone.now().astimezone(selectors.zone())

    def build():
        return selectors.statement(user=user, project=project, year=now.year, month=now.month)

    found = build()
    assert len(found.charges) == args.charges, len(found.charges)
    for name, call in (
        ("statement built (selector)", build),
        ("statement as CSV", lambda: statements.as_csv(build())),
        ("statement as PDF", lambda: statements.as_pdf(build())),
    ):
        ms, queries = timed(call, repeat=3)
        print(f"  {name:45} {ms:8.1f} ms  {queries} statements")
    print(
        f"  PDF size {len(statements.as_pdf(found)) / 1024:.0f} KiB, CSV {len(statements.as_csv(found)) / 1024:.0f} KiB"
    )
    _, token = accounts.api_token_create(actor=user, user=user, name="bench")
    connection.close()
    server, base = start_gunicorn(2, production=True, threads=2)
    try:
        url = f"/api/projects/{project.pk}/statement/?month={now.year}-{now.month:02d}"
        name = f"statement API, {args.charges:,} charges, the PI's API token"
        print(wrk_read(base, url, name, token=token, seconds=args.seconds, connections=4))
        print(healthz_anchor(base, connections=4))
    finally:
        server.terminate()
        server.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--charges", type=int, default=10_000)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    config = setup_databases(verbosity=0, interactive=False)
    try:
        site = Site.objects.create(name="Bench", slug="bench", time_zone="Europe/Berlin")
        user = get_user_model().objects.create_user("pia", "pia@example.org", "x")
        Membership.objects.create(site=site, user=user, role=Role.MEMBER)
        measure_writes(site, user, args)
        measure_statement(site, user, args)
    finally:
        finish(None, config)


if __name__ == "__main__":
    main()
