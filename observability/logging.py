import logging

from common.request_context import current


class RequestContextFilter(logging.Filter):
    """Puts the request id and the user id on every log line written while a request runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current()
        record.request_id = context.request_id or None
        record.user_id = context.memo.get("user_id") if context.memo else None
        return True
