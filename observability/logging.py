"""Every log line carries who and what it is about: the request id and user id in web processes;
in workers, the task and the request id of the request that queued it (sent as a message header)."""

import logging
from contextvars import ContextVar
from dataclasses import dataclass

from common.request_context import current


@dataclass(frozen=True)
class TaskContext:
    task_id: str
    task: str
    request_id: str | None


_task: ContextVar[TaskContext | None] = ContextVar("task_context", default=None)


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context, task = current(), _task.get()
        record.request_id = context.request_id or (task.request_id if task else None)
        record.user_id = context.memo.get("user_id") if context.memo else None
        record.task_id = task.task_id if task else None
        record.task = task.task if task else None
        return True


# --- Celery signal receivers (connected in config/celery.py) -------------------------------------


def add_request_id_header(headers=None, **kwargs) -> None:
    request_id = current().request_id
    if headers is not None and request_id:
        headers.setdefault("request_id", request_id)


def enter_task(task_id=None, task=None, **kwargs) -> None:
    request = getattr(task, "request", None)
    request_id = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get("request_id")
    _task.set(TaskContext(task_id=task_id, task=getattr(task, "name", ""), request_id=request_id))


def leave_task(**kwargs) -> None:
    _task.set(None)


class QuietRoutineFilter(logging.Filter):
    """Keeps the console readable: a refused or missing page (4xx) is one line, not a traceback, and
    the scheduler's every-few-seconds housekeeping (sent, received, succeeded) shows only at DEBUG."""

    routine_tasks = (
        "reservations.tasks.schedule_boundaries",
        "reservations.policies.tasks.expire_pending",
        "reservations.policies.tasks.release_no_shows",
        "accounts.tasks.sync_with_provider",
        "webhooks.tasks.sweep",
        "observability.tasks.send_heartbeat",
    )

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and getattr(record, "status_code", 500) < 500:
            record.exc_info, record.exc_text = None, None
        if record.levelno <= logging.INFO and record.name.startswith("celery"):
            message = record.getMessage()
            if any(task in message for task in self.routine_tasks):
                return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True
