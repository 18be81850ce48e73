"""Two installations on one Redis (a demo and a test run, two sites) never take each other's tasks:
every key, queue and control channel carries the installation's CELERY_BROKER_KEY_PREFIX."""

import time

from celery import Celery
from django.conf import settings

from config.celery import app
from tests.processes import Worker, purge_queues

from .support import book, hook

OTHER = "another-installation:"


def waiting_in_our_queue() -> int:
    with app.connection_for_write() as conn:
        return conn.default_channel.client.llen("webhooks")  # the client adds our prefix


def test_a_worker_of_another_installation_takes_none_of_our_tasks(scene, receiver, worker_factory):
    purge_queues()
    other_app = Celery("other", broker=settings.CELERY_BROKER_URL, set_as_current=False)  # only to ping it
    other_app.conf.broker_transport_options = {"global_keyprefix": OTHER}
    other = Worker(CELERY_BROKER_KEY_PREFIX=OTHER).start(answers_to=other_app)
    try:
        assert not app.control.ping(timeout=0.5)  # our control channel does not reach it
        hook(scene, f"{receiver.url}/ok")
        book(scene, scene["gpu"])
        deadline = time.monotonic() + 3  # a consuming worker takes a task in milliseconds
        while time.monotonic() < deadline:
            assert waiting_in_our_queue() == 1, "another installation's worker took our task"
            time.sleep(0.1)
        assert receiver.received() == []
        worker_factory()  # our own worker
        delivered = receiver.wait_for(1, "/ok")
        assert len(delivered) == 1 and waiting_in_our_queue() == 0
    finally:
        other.stop()
