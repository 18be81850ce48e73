import io
import itertools
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import chain
from audit.models import AuditEntry
from audit.services import record

pytestmark = pytest.mark.django_db


def tamper(statement: str, params: list) -> None:
    """What someone with the database owner's rights could do: switch the trigger off and edit."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(statement, params)
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


def verify(*args) -> str:
    out = io.StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def entries():
    return [record(action=f"test.step{n}", message=f"step {n}", changes={"n": [n, n + 1]}) for n in range(5)]


def test_sealing_links_every_entry_to_the_one_before(entries):
    assert chain.seal() == 5
    rows = list(AuditEntry.objects.order_by("seq").values("seq", "prev_hash", "hash"))
    assert [row["seq"] for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["prev_hash"] == chain.GENESIS
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(rows))
    assert chain.seal() == 0  # sealed once, never again
    assert "5 entries verified, chain intact" in verify()


def test_sealed_entries_stay_append_only(entries):
    chain.seal()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entries[0].pk).update(hash="0" * 64, seq=None)
    # Sealing may not smuggle a content change in either.
    late = record(action="test.late")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=late.pk).update(seq=99, hash="f" * 64, message="forged")


def test_an_edited_entry_is_found(entries):
    chain.seal()
    tamper("UPDATE audit_auditentry SET message = 'nothing happened' WHERE id = %s", [entries[2].pk])
    with pytest.raises(CommandError, match=rf"seq=3 id={entries[2].pk}: its content was changed"):
        verify()


def test_a_removed_entry_is_found(entries):
    chain.seal()
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    with pytest.raises(CommandError, match=r"seq=3 .*entries 2\.\.2 are missing"):
        verify()


def test_a_rewritten_chain_is_found(entries):
    """Editing an entry and recomputing its own hash still breaks the next entry's link."""
    chain.seal()
    row = AuditEntry.objects.filter(pk=entries[1].pk).values(*chain.CONTENT_FIELDS, "prev_hash").get()
    row["message"] = "forged"
    tamper(
        "UPDATE audit_auditentry SET message = 'forged', hash = %s WHERE id = %s",
        [chain.entry_hash(row, row["prev_hash"]), entries[1].pk],
    )
    with pytest.raises(CommandError, match=r"seq=3 .*does not link to the entry before it"):
        verify()


def test_archiving_keeps_the_chain_verifiable(entries, tmp_path):
    chain.seal()
    tamper(
        "UPDATE audit_auditentry SET timestamp = %s WHERE id = ANY(%s)",
        [timezone.now() - timedelta(days=400), [e.pk for e in entries[:3]]],
    )
    # Moving the timestamps changed sealed content: re-seal this test's chain from scratch.
    tamper("UPDATE audit_auditentry SET seq = NULL, prev_hash = '', hash = ''", [])
    chain.seal()
    call_command("audit_archive", "--days", "365", "--output-dir", str(tmp_path), stdout=io.StringIO())
    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in entries[:3]]).exists()
    assert "table: " in verify()
    both = verify("--archive-dir", str(tmp_path))
    assert "archives: 3 entries verified" in both
    # The table's first entry must link to the archive's last one.
    first = AuditEntry.objects.order_by("seq").first()
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [first.pk])
    with pytest.raises(CommandError, match="broken in the table"):
        verify("--archive-dir", str(tmp_path))
