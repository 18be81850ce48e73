"""Leases and the fair-use policies moved into packages of their own inside the booking app: their
tables, constraints and migration history stayed where they were. A database filled before the move
migrates to the head with every row and every constraint in place."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ProjectState
from freezegun import freeze_time

from reservations.policies import blackouts, quotas, waitlist
from reservations.policies.models import QuotaPeriod
from resources.models import Resource
from tenancy.models import Site

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = [
    "reservations_reservation",
    "reservations_series",
    "reservations_lease",
    "reservations_quotarule",
    "reservations_blackout",
    "reservations_blackoutperiod",
    "reservations_waitlistentry",
]
CONSTRAINTS = {
    "reservation_no_overlap": "x",  # the exclusion constraint: no two holding bookings of a resource overlap
    "reservation_end_after_start": "c",
    "reservation_cleanup_bounds": "c",
    "lease_end_after_start": "c",
    "quota_rule_unique_scope": "u",
    "quota_rule_limits_something": "c",
    "blackout_end_after_start": "c",
    "waitlist_end_after_start": "c",
}


def _counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        found = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - names from the list above
            found[table] = cursor.fetchone()[0]
        return found


def _constraints() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, contype FROM pg_constraint WHERE conname = ANY(%s)", [list(CONSTRAINTS)])
        return dict(cursor.fetchall())


def _fill(demo_users) -> None:
    """The demo (bookings, a weekly series, a lease) and a row in each policy's table."""
    admin, user = demo_users["admin"], demo_users["user"]
    berlin = Site.objects.get(slug="berlin")
    gpu0 = Resource.objects.get(site=berlin, name="dgx-01-gpu0")
    first = gpu0.reservations.order_by("start").first()
    quotas.quota_rule_create(actor=admin, site=berlin, period=QuotaPeriod.WEEK, max_hours=400)
    start = first.end + timedelta(days=30)
    blackouts.blackout_create(
        actor=admin, site=berlin, resource=gpu0, start=start, end=start + timedelta(hours=2), reason="Service"
    )
    waitlist.join(actor=user, resource=gpu0, start=first.start, end=first.end)


def test_a_database_filled_before_the_move_migrates_with_every_row_and_constraint(demo_users):
    with freeze_time("2026-11-22 10:00:00"):  # the demo's clock
        _fill(demo_users)
    before = _counts()
    assert all(before.values()), before  # every table holds something to keep

    call_command("migrate", interactive=False, verbosity=0)

    assert _counts() == before
    assert _constraints() == CONSTRAINTS
    # Nothing is left to migrate: the models as they now live are the tables as migrated.
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    changes = MigrationAutodetector(executor.loader.project_state(), ProjectState.from_apps(apps)).changes(
        graph=executor.loader.graph
    )
    assert changes == {}


def test_the_moved_models_keep_their_app_tables_and_admin_addresses():
    for name, module in [
        ("Lease", "reservations.leases.models"),
        ("QuotaRule", "reservations.policies.models"),
        ("Blackout", "reservations.policies.models"),
        ("BlackoutPeriod", "reservations.policies.models"),
        ("WaitlistEntry", "reservations.policies.models"),
    ]:
        model = apps.get_model("reservations", name)
        assert model.__module__ == module
        assert model._meta.db_table == f"reservations_{name.lower()}"
