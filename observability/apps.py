from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"
    verbose_name = "Metrics and logs"

    def ready(self) -> None:
        import logging

        # Python warnings become log lines (JSON in production) instead of raw text on stderr.
        logging.captureWarnings(True)
