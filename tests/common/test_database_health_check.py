"""The health check of a persistent connection (common.db.postgresql): an idle connection the
server has not ended is reused without a round trip; one the server ended is found out and replaced
before the request's first statement."""

import time

import psycopg
import pytest
from django.db import close_old_connections, connection

from common.db.database import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _last_statement_of(pid: int) -> str:
    with psycopg.connect(database_url(), autocommit=True) as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid() /* marker */")
        return cursor.fetchone()[0]


def test_an_idle_connection_is_found_usable_without_a_statement():
    pid = _backend_pid()
    assert connection.is_usable() is True
    assert _last_statement_of(pid) == "SELECT pg_backend_pid() /* marker */"


def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it():
    pid = _backend_pid()
    with psycopg.connect(database_url(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's goodbye arrives asynchronously
    assert connection.is_usable() is False

    close_old_connections()  # what Django does when a request starts
    assert _backend_pid() != pid  # no error: a new connection served the first statement


def test_a_connection_inside_a_transaction_is_checked_the_full_way():
    pid = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            assert connection.is_usable() is True
            assert _last_statement_of(pid) == "SELECT 1"
        finally:
            cursor.execute("ROLLBACK")
