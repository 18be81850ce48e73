"""What roles, tokens and the audit log cost per request, on the production settings.

    .venv/bin/python -m bench.access_api [--resources 2000] [--audit 20000] [--requests 200] [--seconds 15]

Builds a throw-away test database, then compares, in process (this process on the production
settings, DEBUG=0, one client): the resource list as a global administrator (no scoping) and as a
site member (scoped by membership); authentication by forced login and by a personal API token
(one prepared lookup that also brings the site roles); the audit log list, summary and CSV export.
Over HTTP (gunicorn as the image runs it, wrk with 16 connections, the member's API token): the
scoped resource list, /api/users/me/ and the scoped audit log, with wrk on /healthz as the anchor.
"""

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Its own throw-away database, so that a bench and the test suite can run side by side.
os.environ.setdefault("TEST_DATABASE_NAME", "bench_reservoir")

from bench.production_env import use_production_settings

use_production_settings()

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts import services as account_services  # noqa: E402
from audit.models import AuditEntry  # noqa: E402
from bench.catalogue_api import seed, timed  # noqa: E402
from bench.support import finish, healthz_anchor, start_gunicorn, wrk_read  # noqa: E402
from tenancy.models import Membership, Role  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--audit", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    n = args.requests

    config = setup_databases(verbosity=0, interactive=False)
    server = None
    try:
        data = seed(args.resources)
        User = get_user_model()
        admin = User.objects.create_superuser("bench-admin", "a@example.org", "x")
        member = User.objects.create_user("bench-member", "m@example.org", "x")
        Membership.objects.create(site=data["site"], user=member, role=Role.ADMIN)
        AuditEntry.objects.bulk_create(
            AuditEntry(
                action="resource.updated",
                category="resource",
                actor_username="bench-admin",
                object_repr=f"srv-{i}",
                site_id=data["site"].pk if i % 4 == 0 else None,
                changes={"specs": ["a", "b"]},
            )
            for i in range(args.audit)
        )
        print(f"{args.resources} resources over 4 sites, {args.audit} audit entries, {n} requests per scenario")

        as_admin, as_member = APIClient(), APIClient()
        as_admin.force_authenticate(admin)
        as_member.force_authenticate(member)
        _, secret = account_services.api_token_create(actor=member, user=member, name="bench")
        with_token = APIClient(HTTP_AUTHORIZATION=f"Bearer {secret}")

        timed("resources page 50, global admin", lambda: as_admin.get("/api/resources/?page_size=50"), n)
        timed("resources page 50, site member (scoped)", lambda: as_member.get("/api/resources/?page_size=50"), n)
        timed("resources page 50, API token auth", lambda: with_token.get("/api/resources/?page_size=50"), n)
        timed("GET /api/users/me/, API token auth", lambda: with_token.get("/api/users/me/"), n)
        timed("audit log page 50, global admin", lambda: as_admin.get("/api/audit-log/?page_size=50"), n)
        timed("audit log page 50, site admin (scoped)", lambda: as_member.get("/api/audit-log/?page_size=50"), n)
        timed("audit summary, global admin", lambda: as_admin.get("/api/audit-log/summary/"), n // 4)

        start = time.perf_counter()
        response = as_admin.get("/api/audit-log/export/")
        size = sum(len(chunk) for chunk in response.streaming_content)
        elapsed = time.perf_counter() - start
        rate = args.audit / elapsed
        print(f"{'audit CSV export, all entries':44} {rate:8.0f} rows/s   {size / 1e6:.1f} MB in {elapsed:.2f} s")

        connection.close()
        server, base = start_gunicorn(production=True)
        for name, url in (
            ("resources page 50, site member's API token", "/api/resources/?page_size=50"),
            ("GET /api/users/me/, API token", "/api/users/me/"),
            ("audit log page 50, site admin's API token", "/api/audit-log/?page_size=50"),
        ):
            print(wrk_read(base, url, name, token=secret, seconds=args.seconds, connections=args.connections))
        print(healthz_anchor(base, connections=args.connections))
    finally:
        finish(server, config)


if __name__ == "__main__":
    main()
