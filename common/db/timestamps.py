"""Timestamps read from PostgreSQL by psycopg's C loader. Django registers its own `timestamptz`
loader, a subclass of psycopg's pure-Python one (to pin the time zone), so every timestamp of every
row is parsed in Python: a week of 2,000 bookings is 10,000 of them, a fifth of that request
(issue 17). With the session in UTC, which Django sets whenever USE_TZ is on and the database has
no TIME_ZONE of its own, psycopg's C loader already answers in `datetime.timezone.utc`: the same
values, parsed in C."""

import datetime

import psycopg
from django.db.backends.signals import connection_created
from psycopg.adapt import Loader
from psycopg.pq import Format


def _c_loader():
    parser = psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
    if parser is None or parser.__module__.startswith("psycopg.types"):
        return None  # no C implementation installed: Django's loader stays

    class UTCTimestamptzLoader(Loader):
        # What Django's create_cursor() compares to decide whether to register its own loader.
        timezone = datetime.UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._parse = parser(oid, context).load  # the C parser (its class cannot be subclassed)

        def load(self, data):
            return self._parse(data)

    return UTCTimestamptzLoader


_LOADER = _c_loader()


def _use_c_loader(sender, connection, **kwargs) -> None:
    if _LOADER is None or connection.vendor != "postgresql" or connection.timezone_name != "UTC":
        return
    connection.connection.adapters.register_loader("timestamptz", _LOADER)


def install() -> None:
    connection_created.connect(_use_c_loader, dispatch_uid="common.db.timestamps")
