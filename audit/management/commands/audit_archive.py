"""Move audit entries older than a retention period into a compressed JSON-lines file.

The one sanctioned removal from the append-only table: rows are written and flushed to the
archive first, then deleted in the same transaction, which alone may pass the trigger.
"""

import gzip
import json
import os
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from audit import chain
from audit.models import AuditEntry, Severity
from audit.services import record

FIELDS = [f.name for f in AuditEntry._meta.concrete_fields]


class Command(BaseCommand):
    help = "Archive audit entries older than --days into a .jsonl.gz file, then remove them."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=365, help="Retention period in days (365).")
        parser.add_argument("--output-dir", default=str(settings.DATA_DIR / "audit-archive"))

    def handle(self, *args, days: int, output_dir: str, **options):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        cutoff = timezone.now() - timedelta(days=days)
        directory = Path(output_dir)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"audit-before-{cutoff:%Y%m%dT%H%M%SZ}.jsonl.gz"
        if path.exists():
            raise CommandError(f"{path} already exists.")
        chain.seal()
        with transaction.atomic():
            # A prefix of the hash chain leaves, so that what stays still verifies (its first entry
            # links to the archive's last); the newest sealed entry always stays to link the next.
            newest = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first()
            boundary = (
                AuditEntry.objects.filter(timestamp__lt=cutoff, seq__lt=newest or 0)
                .order_by("-seq")
                .values_list("seq", flat=True)
                .first()
            )
            entries = AuditEntry.objects.select_for_update().filter(seq__lte=boundary or 0).order_by("seq")
            ids = []
            with open(path, "wb") as raw:
                with gzip.GzipFile(fileobj=raw, mode="wb") as archive:
                    for row in entries.values(*FIELDS).iterator(chunk_size=5000):
                        archive.write((json.dumps(row, cls=DjangoJSONEncoder, sort_keys=True) + "\n").encode())
                        ids.append(row["id"])
                raw.flush()
                os.fsync(raw.fileno())  # on disk before the rows are gone
            if not ids:
                path.unlink()
                self.stdout.write("Nothing older than the retention period.")
                return
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL reservoir.audit_archive = 'on'")
            deleted, _ = AuditEntry.objects.filter(id__in=ids).delete()
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL reservoir.audit_archive = 'off'")
            record(
                action="audit.archived",
                severity=Severity.WARNING,
                message=f"{deleted} entries older than {cutoff.isoformat()} moved to {path.name}.",
            )
        self.stdout.write(f"Archived {deleted} entries to {path}")
