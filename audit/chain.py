"""The audit log's hash chain: every entry, shortly after it is written, gets a position (`seq`), the
previous entry's hash and a SHA-256 over its own content and that hash. Editing, inserting or
removing a sealed entry breaks a link that `manage.py audit_verify` reports.

Sealing runs after the fact (beat, every few seconds; audit_verify and audit_archive seal first)
rather than in the writing transaction: a chain built at insert time would make every transaction
that writes an audit entry wait for all others, bookings included."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from .models import AuditEntry

GENESIS = "0" * 64
CHAIN_FIELDS = ("seq", "prev_hash", "hash")
CONTENT_FIELDS = tuple(f.attname for f in AuditEntry._meta.concrete_fields if f.attname not in CHAIN_FIELDS)
SEAL_LOCK = 0x61756469  # pg advisory lock key: one sealer at a time


def entry_hash(row: dict, prev_hash: str) -> str:
    """Over the content as canonical JSON (the archive's encoding, so archived rows verify too)."""
    content = {name: row[name] for name in CONTENT_FIELDS}
    payload = json.dumps(content, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def seal(limit: int = 10_000) -> int:
    """Chain the unsealed entries in id order; returns how many. Another sealer running: 0."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK])
            if not cursor.fetchone()[0]:
                return 0
        last = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").values("seq", "hash").first()
        seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
        sealed = []
        for row in AuditEntry.objects.filter(seq__isnull=True).order_by("id").values(*CONTENT_FIELDS)[:limit]:
            seq += 1
            digest = entry_hash(row, prev)
            sealed.append(AuditEntry(id=row["id"], seq=seq, prev_hash=prev, hash=digest))
            prev = digest
        AuditEntry.objects.bulk_update(sealed, CHAIN_FIELDS, batch_size=1000)
        return len(sealed)


@dataclass(frozen=True)
class Verdict:
    checked: int
    head: str  # the last entry's hash: record it elsewhere to detect a cut-off tail
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def verify_rows(rows: Iterable[dict], *, expect_prev: str | None = None) -> Verdict:
    """Walk rows in seq order. `expect_prev`: the hash the first row must link to (GENESIS for a
    chain from its start, an archive's last hash for the table after archiving), None: unknown."""
    checked, prev, expected_seq = 0, expect_prev, None
    for row in rows:
        if expected_seq is not None and row["seq"] != expected_seq:
            return Verdict(
                checked, prev or "", row["seq"], row["id"], f"entries {expected_seq}..{row['seq'] - 1} are missing"
            )
        if expected_seq is None and row["seq"] == 1 and prev is None:
            prev = GENESIS
        if prev is not None and row["prev_hash"] != prev:
            return Verdict(checked, prev, row["seq"], row["id"], "does not link to the entry before it")
        if entry_hash(row, row["prev_hash"]) != row["hash"]:
            return Verdict(checked, prev or "", row["seq"], row["id"], "its content was changed after it was sealed")
        prev, expected_seq, checked = row["hash"], row["seq"] + 1, checked + 1
    return Verdict(checked, prev or "")


def verify(*, expect_prev: str | None = None) -> Verdict:
    rows = AuditEntry.objects.filter(seq__isnull=False).order_by("seq").values(*CONTENT_FIELDS, *CHAIN_FIELDS)
    return verify_rows(rows.iterator(chunk_size=5000), expect_prev=expect_prev)
