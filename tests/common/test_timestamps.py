"""Timestamps come from psycopg's C parser (common.db.timestamps) with exactly the values, and the
time zone object, that Django's own loader gives."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from common.db import timestamps

pytestmark = pytest.mark.django_db

SAMPLES = [
    "2026-12-01 09:30:00+00",
    "2026-12-01 09:30:00.123456+00",
    "2026-03-29 01:59:59.999999+00",  # around Europe's spring change
    "2026-10-25 02:30:00+02",
    "1970-01-01 00:00:00+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2026-07-01 12:00:00-09:30",
]


def test_the_c_loader_is_in_use_and_reads_what_djangos_reads():
    connection.ensure_connection()
    assert timestamps._LOADER is not None
    loader = connection.connection.adapters.get_loader(connection.connection.adapters.types["timestamptz"].oid, 0)
    assert loader is timestamps._LOADER
    query = "SELECT " + ", ".join(f"'{value}'::timestamptz" for value in SAMPLES)
    with connection.cursor() as cursor:
        cursor.execute(query)
        ours = cursor.fetchone()
    with connection.connection.cursor() as raw:
        register_tzloader(datetime.UTC, raw)  # Django's own (pure-Python) loader, on this cursor only
        raw.execute(query)
        djangos = raw.fetchone()
    assert ours == djangos
    assert all(value.tzinfo is datetime.UTC for value in ours)
    assert [value.isoformat() for value in ours] == [value.isoformat() for value in djangos]
