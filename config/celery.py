import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("reservoir")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log like the web: settings.LOGGING (JSON lines in production), not Celery's
    own format."""
    import logging
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    logging.captureWarnings(True)  # Python warnings become log lines too, not raw text on stderr


def _connection_as_a_request_would(**kwargs) -> None:
    """Before and after each task, what Django does around a request: close a database connection
    that is too old or broken (CONN_MAX_AGE, CONN_HEALTH_CHECKS), keep the others. Celery's own
    fixup closes every connection after every task instead (see CELERY_DB_REUSE_MAX): a new
    PostgreSQL connection per task was two thirds of a webhook delivery."""
    from django.db import close_old_connections

    close_old_connections()


signals.task_prerun.connect(_connection_as_a_request_would, weak=False)
signals.task_postrun.connect(_connection_as_a_request_would, weak=False)


@signals.celeryd_init.connect
@signals.beat_init.connect
def wait_out_broker_restarts(**kwargs) -> None:
    """Workers and beat keep kombu's patient reconnecting; only requests fail fast (settings)."""
    from django.conf import settings

    options = dict(app.conf.broker_transport_options)
    for key in settings.BROKER_PUBLISH_FAST_FAIL:
        options.pop(key, None)
    app.conf.broker_transport_options = options


# The queues every worker consumes: the default one and the webhook deliveries'.
WORKER_QUEUES = ("celery", "webhooks")


def worker_command(*, pool: str | None = None, concurrency: int | None = None, level: str = "info", quiet=False):
    """The worker's command line, for the devstack, the tests' and the benchmarks' worker
    processes (the image, compose file and chart spell the same in YAML; tests compare them)."""
    import sys

    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", ",".join(WORKER_QUEUES), "-l", level]
    if pool:
        command += ["--pool", pool]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    if quiet:  # short-lived test and bench workers: no chatter with other workers, faster start
        command += ["--without-gossip", "--without-mingle"]
    return command


def beat_command(*, schedule: str, level: str = "info") -> list[str]:
    import sys

    return [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", level, "--schedule", schedule]
