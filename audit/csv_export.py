import csv
import json

from django.http import StreamingHttpResponse

COLUMNS = [
    "timestamp",
    "actor_username",
    "action",
    "severity",
    "object_type",
    "object_id",
    "object_repr",
    "site_id",
    "changes",
    "message",
    "ip",
    "request_id",
]


class _Echo:
    def write(self, value):
        return value


def _safe(value) -> str:
    # A cell starting with = + - @ is a formula to spreadsheets; entries hold user-typed text.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def stream_csv(entries, filename: str = "audit-log.csv") -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(COLUMNS)
        for entry in entries.iterator(chunk_size=2000):
            values = []
            for column in COLUMNS:
                value = getattr(entry, column)
                if column == "changes":
                    value = json.dumps(value, sort_keys=True) if value else ""
                elif column == "timestamp":
                    value = value.isoformat()
                values.append(_safe(value))
            yield writer.writerow(values)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
