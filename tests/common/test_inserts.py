"""insert_row writes what save() writes (defaults, auto_now_add, JSON, arrays, returned ids), in one
statement, and with ON CONFLICT DO NOTHING says when a constraint kept the row out."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from common.db.inserts import insert_row
from tenancy.models import Site
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def test_an_audit_entry_reads_back_as_save_writes_it():
    entry = AuditEntry(action="thing.done", category="thing", changes={"name": ["a", "b"]}, ip="10.0.0.1")
    with CaptureQueriesContext(connection) as queries:
        assert insert_row(entry) is True
    assert len(queries.captured_queries) == 1
    read = AuditEntry.objects.get(pk=entry.pk)
    assert (read.action, read.changes, read.ip, read.severity, read.seq) == (
        "thing.done", {"name": ["a", "b"]}, "10.0.0.1", "info", None,
    )  # fmt: skip
    assert entry.timestamp is not None and read.timestamp == entry.timestamp  # auto_now_add, set on the object too


def test_an_event_with_its_own_id_and_an_array():
    event = Event(
        id=uuid.uuid4(), type="x.y", timestamp=timezone.now(), payload={"data": {"n": 1}}, resource_path=[3, 2]
    )
    insert_row(event)
    read = Event.objects.get(pk=event.pk)
    assert (read.payload, read.resource_path) == ({"data": {"n": 1}}, [3, 2])


def test_a_row_kept_out_by_a_constraint_is_not_written():
    Site.objects.create(name="Berlin", slug="berlin", time_zone="Europe/Berlin")
    again = Site(name="Berlin", slug="berlin", time_zone="Europe/Berlin")
    assert insert_row(again, on_conflict_nothing=True) is False
    assert again.pk is None and Site.objects.count() == 1
