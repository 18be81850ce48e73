"""Check the audit log's hash chain (audit.chain): seals what is not sealed yet, then walks every
entry; with --archive-dir also the archived entries and the link from the archives to the table.
Exit status 1 and the first broken link when something was changed, inserted or removed."""

import gzip
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit import chain


def archived_rows(directory: Path):
    rows = []
    for path in sorted(directory.glob("audit-before-*.jsonl.gz")):
        with gzip.open(path, "rt") as archive:
            rows += [json.loads(line) for line in archive if line.strip()]
    return sorted((row for row in rows if row.get("seq") is not None), key=lambda row: row["seq"])


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--archive-dir", help="Also verify the archives audit_archive wrote there.")

    def handle(self, *args, archive_dir: str | None, **options):
        chain.seal()
        expect_prev = None
        if archive_dir:
            archived = chain.verify_rows(archived_rows(Path(archive_dir)), expect_prev=None)
            self._report("archives", archived)
            expect_prev = archived.head or None
        verdict = chain.verify(expect_prev=expect_prev)
        self._report("table", verdict)
        self.stdout.write(f"Head of the chain: {verdict.head} (keep it elsewhere to detect a cut-off tail)")

    def _report(self, where: str, verdict: chain.Verdict) -> None:
        if not verdict.intact:
            raise CommandError(
                f"Audit chain broken in the {where} at entry seq={verdict.broken_seq} id={verdict.broken_id}: "
                f"{verdict.reason} ({verdict.checked} entries before it verified)."
            )
        self.stdout.write(f"{where}: {verdict.checked} entries verified, chain intact.")
