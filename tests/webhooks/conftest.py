import pytest

from tests.processes import Worker, purge_queues
from tests.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture
def worker(transactional_db):
    purge_queues()  # nothing left over from earlier tests
    running = Worker().start()
    yield running
    running.stop()


@pytest.fixture
def scene(transactional_db):
    from .support import make_scene

    return make_scene()
