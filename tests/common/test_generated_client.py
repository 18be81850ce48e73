"""The schema is a contract a generated client can rely on: openapi-python-client builds a client
from /api/schema/, and a booking round trip works through it, refusals arriving as typed errors."""

import importlib
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from accounts import services
from resources.models import Resource

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def generated(live_server, tmp_path, monkeypatch):
    schema = tmp_path / "schema.json"
    schema.write_bytes(requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30).content)
    (tmp_path / "config.yml").write_text("post_hooks: []\n")
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "openapi-python-client"),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(tmp_path / "reservoir_client"),
            "--meta",
            "none",
            "--config",
            str(tmp_path / "config.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("reservoir_client")
    for name in [name for name in sys.modules if name.startswith("reservoir_client")]:
        del sys.modules[name]


def test_a_booking_round_trip_through_the_generated_client(generated, live_server, demo_users):
    from reservoir_client import AuthenticatedClient
    from reservoir_client.api.reservations import (
        reservations_create,
        reservations_destroy,
        reservations_retrieve,
    )
    from reservoir_client.models import Error, Reservation, ReservationRequest

    member = demo_users["user"]
    _, token = services.api_token_create(actor=member, user=member, name="generated client")
    client = AuthenticatedClient(base_url=live_server.url, token=token)
    resource = Resource.objects.bookable().filter(site__slug="berlin", children__isnull=True).order_by("pk").first()
    start = (timezone.now() + timedelta(days=2)).replace(hour=2, minute=0, second=0, microsecond=0)
    wanted = ReservationRequest(
        resource=resource.pk, start=start, end=start + timedelta(hours=1), title="From the client"
    )

    created = reservations_create.sync_detailed(client=client, body=wanted)
    assert created.status_code == 201, created.content
    booking = created.parsed
    assert isinstance(booking, Reservation) and booking.title == "From the client" and booking.owner == "user"

    clash = reservations_create.sync_detailed(client=client, body=wanted)
    assert clash.status_code == 409
    assert isinstance(clash.parsed, Error) and clash.parsed.code == "overlap", clash.content

    read = reservations_retrieve.sync(client=client, id=booking.id)
    assert isinstance(read, Reservation) and read.start == start

    cancelled = reservations_destroy.sync(client=client, id=booking.id)
    assert [item.status.value for item in cancelled] == ["cancelled"]

    missing = reservations_retrieve.sync_detailed(client=client, id=2**63 - 1)
    assert missing.status_code == 404 and isinstance(missing.parsed, Error)
