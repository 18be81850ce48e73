from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"
    verbose_name = "Metrics and logs"

    def ready(self) -> None:
        import logging

        # Python warnings become log lines (JSON in production) instead of raw text on stderr.
        logging.captureWarnings(True)

        from celery import signals

        from . import logging as log_context

        # A task carries the request id of whoever sent it, and logs under it (web and workers alike).
        signals.before_task_publish.connect(log_context.add_request_id_header, weak=False)
        signals.task_prerun.connect(log_context.enter_task, weak=False)
        signals.task_postrun.connect(log_context.leave_task, weak=False)
