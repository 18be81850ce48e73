"""Where a request's time goes, layer by layer (issue 39): the booking create and the one-object read,
in process on the production settings, sampled by pyinstrument.

    .venv/bin/python -m bench.request_profile [--requests 400] [--interval 0.0002]

A throw-away database with 100 resources. Each request is sampled every `interval` seconds; each
sample's stack is read from its innermost frame outwards and counted for the first layer it meets
(LAYERS below, e.g. a sample inside the audit chain's ORM insert counts for the audit chain). Time in
psycopg's wait for the server counts as "waiting on PostgreSQL" whoever asked. The ORM column says
how much of each layer is Django's ORM building statements and reading rows. Prints a Markdown table
of ms per request and share, for docs/performance.md.
"""

import argparse
import os
import re
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir_profile")

from bench.production_env import use_production_settings

use_production_settings()

import django  # noqa: E402

django.setup()

from django.test.utils import setup_databases  # noqa: E402
from pyinstrument import Profiler  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.support import booking_scene, finish, percentile  # noqa: E402

# (layer, pattern on "path:function") in the order a stack is read from its innermost frame.
# With psycopg's C implementation, libpq's calls and the wait for the answer show as these frames.
WAIT = (
    "psycopg: sending, waiting on PostgreSQL",
    r"psycopg/(connection\.py:wait|client_cursor\.py:_execute_send|cursor\.py:_execute_send|"
    r"_connection_base\.py:_exec_command|waiting|generators)",
)
LAYERS = [
    WAIT,
    ("logging", r"/logging/|common/log|observability/logs|python_json_logger|structlog"),
    ("metrics", r"prometheus_client|observability/(middleware|metrics)"),
    ("after-commit publish (Celery, Redis)", r"/celery/|/kombu/|/redis/|common/events\.py:.*(send|after|commit)"),
    ("audit hash chain", r"/audit/"),
    ("outbox (events, webhooks)", r"common/events|/webhooks/"),
    (
        "the booking's rules and hooks",
        r"reservations/(rules|hooks|policies|leases|checkin|approvals|subscribers|events)|/billing/|/training/|"
        r"/machines/|/registry/|reservations/services|common/services|resources/(tree|access|selectors)",
    ),
    (
        "serializer and model validation",
        r"rest_framework/(serializers|fields|relations|validators)|common/api/(fields|serializers)|"
        r"django/core/validators|django/db/models/base\.py:(full_clean|clean_fields|validate)|"
        r"reservations/api/serializers",
    ),
    ("permissions", r"rest_framework/permissions|common/api/permissions|tenancy/access"),
    (
        "authentication",
        r"rest_framework/authentication|accounts/(authentication|token_lookup|tokens)|auth/middleware|"
        r"contrib/auth/__init__",
    ),
    (
        "parsing and rendering",
        r"rest_framework/(parsers|renderers|negotiation)|common/api/(parsers|renderers|rows)|orjson|/json/",
    ),
    ("the view and DRF's dispatch", r"rest_framework/|common/api/|reservations/api/|resources/api/|django/views/"),
    ("middleware: sessions", r"contrib/sessions"),
    ("middleware: CSRF", r"middleware/csrf"),
    ("middleware: messages", r"contrib/messages"),
    ("middleware: CSP", r"/csp/|PermissionsPolicy"),
    ("middleware: axes (login limiter)", r"/axes/"),
    ("middleware: security, common, clickjacking", r"middleware/(security|common|clickjacking)"),
    ("middleware: whitenoise", r"whitenoise"),
    (
        "middleware: request context, time zone, refusals",
        r"common/request_context|accounts/middleware|common/web/middleware",
    ),
    ("Django's handler, URL resolving", r"django/core/handlers|django/urls|django/http|django/test"),
]
ORM = re.compile(r"django/db/models|django/db/backends")
COMPILED = [(name, re.compile(pattern)) for name, pattern in LAYERS]


def _frame(identifier: str) -> str:
    function, path, *_ = identifier.split("\x00")
    return f"{path}:{function}"


def classify(stack: list[str]) -> tuple[str, bool]:
    frames = [_frame(f) for f in stack[1:]]  # the first is the thread
    orm = any(ORM.search(f) for f in frames)
    for frame in reversed(frames):
        for name, pattern in COMPILED:
            if pattern.search(frame):
                return name, orm and name != WAIT[0]
    return "other (the client, Python)", orm


def timed(call, count: int) -> tuple[float, float]:
    """p50 and p95 in ms of `count` calls, not profiled."""
    timings = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings), percentile(timings, 0.95)


def profile(call, count: int, interval: float) -> tuple[Counter, Counter, float]:
    for _ in range(20):
        call()
    profiler = Profiler(interval=interval, async_mode="disabled")
    profiler.start()
    for _ in range(count):
        call()
    profiler.stop()
    if os.environ.get("PROFILE_TEXT"):
        print(
            profiler.output_text(
                unicode=False, show_all=bool(os.environ.get("PROFILE_ALL")), color=False, time="percent_of_total"
            )
        )
    layers, orm = Counter(), Counter()
    total = 0.0
    for stack, seconds in profiler.last_session.frame_records:
        name, in_orm = classify(stack)
        layers[name] += seconds
        if in_orm:
            orm[name] += seconds
        total += seconds
    return layers, orm, total


def table(title: str, layers: Counter, orm: Counter, total: float, count: int) -> str:
    lines = [f"| {title} | ms per request | share | of it in the ORM |", "| --- | ---: | ---: | ---: |"]
    for name, seconds in layers.most_common():
        lines.append(
            f"| {name} | {seconds * 1000 / count:.2f} | {seconds / total:.1%} | {orm[name] * 1000 / count:.2f} |"
        )
    lines.append(f"| **total** | **{total * 1000 / count:.2f}** | 100 % | {sum(orm.values()) * 1000 / count:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--interval", type=float, default=0.0002)
    parser.add_argument("--time-only", action="store_true", help="only the timings, no profile")
    args = parser.parse_args()
    config = setup_databases(verbosity=0, interactive=False)
    try:
        ids, _, token = booking_scene()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        slots = iter(range(10**6))

        def create():
            k = next(slots)
            start = base + timedelta(minutes=30 * (k // len(ids)))
            end = start + timedelta(minutes=30)
            body = {"resource": ids[k % len(ids)], "start": start.isoformat(), "end": end.isoformat()}
            answer = client.post("/api/reservations/", body, format="json")
            assert answer.status_code == 201, answer.content

        def read():
            answer = client.get(f"/api/resources/{ids[7]}/")
            assert answer.status_code == 200, answer.content

        for title, call in (("`POST /api/reservations/`", create), ("`GET /api/resources/{id}/`", read)):
            p50, p95 = timed(call, args.requests)
            print(f"{title}, in process, one client, not profiled: p50 {p50:.2f} ms, p95 {p95:.2f} ms")
            if args.time_only:
                continue
            layers, orm, total = profile(call, args.requests, args.interval)
            print(table(title, layers, orm, total, args.requests))
            print()
    finally:
        finish(None, config)


if __name__ == "__main__":
    main()
