import json
from datetime import timedelta

import pytest

from tests.processes import Worker, purge_queues

from .support import hook, soon, wait

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_logs_are_json_and_name_the_task_and_the_request_that_queued_it(scene, receiver, tmp_path, api_for):
    purge_queues()
    log = tmp_path / "worker.log"
    worker = Worker(log_file=log, level="info", LOG_FORMAT="json").start()
    try:
        hook(scene, f"{receiver.url}/ok", event_types=["reservation.created"])
        start = soon()
        response = api_for(scene["admin"]).post(
            "/api/reservations/",
            {"resource": scene["gpu"].pk, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
            format="json",
            HTTP_X_REQUEST_ID="trace-me-123",
        )
        assert response.status_code == 201, response.content
        receiver.wait_for(1)
        wait(lambda: "reservoir.webhooks" in log.read_text())
    finally:
        worker.stop()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]  # every line is JSON
    delivered = next(line for line in lines if line["logger"] == "reservoir.webhooks")
    assert delivered["request_id"] == "trace-me-123"
    assert delivered["task"] == "webhooks.tasks.deliver" and delivered["task_id"]
    assert (delivered["level"], delivered["status_code"]) == ("INFO", 200)
    assert {"time", "message", "user_id"} <= set(delivered)
