import json

from django.http import StreamingHttpResponse

from common import spreadsheet

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


def stream_csv(entries, filename: str = "audit-log.csv") -> StreamingHttpResponse:
    writer = spreadsheet.writer(_Echo())

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
                values.append("" if value is None else str(value))
            yield writer.writerow(values)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
