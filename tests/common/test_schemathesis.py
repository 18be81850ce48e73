"""Schemathesis over the whole OpenAPI schema, against a real server on the test database, as a
global administrator and as a member of one site: no 500, no status the schema does not document,
no body that does not match its schema. CI runs a bounded, seeded pass; a longer one:

    SCHEMATHESIS_EXAMPLES=100 SCHEMATHESIS_PHASES=coverage,fuzzing,stateful python3 dev.py test -m fuzz
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts import services
from common.metrics import HTTP_REQUESTS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.fuzz]

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
# Revoking the token the run authenticates with would turn the rest of the run into 401s.
EXCLUDED = ["users_me_tokens_destroy"]


@pytest.mark.parametrize("username", ["admin", "user"])
def test_schemathesis_finds_nothing(live_server, demo_users, username, tmp_path):
    user = demo_users[username]
    _, token = services.api_token_create(actor=user, user=user, name="schemathesis")
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--phases",
        os.environ.get("SCHEMATHESIS_PHASES", "fuzzing,stateful"),
        "--max-examples",
        os.environ.get("SCHEMATHESIS_EXAMPLES", "5"),
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", "20261130"),
        "--workers",
        "2",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        *[part for operation in EXCLUDED for part in ("--exclude-operation-id", operation)],
    ]
    throttled_before = _throttled()
    run = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    # Every request of the run carried a valid token from one address: none was refused as too many
    # (the live server runs in this process, so its request counters are this process's).
    assert _throttled() == throttled_before
    summary = run.stdout[run.stdout.find("= SUMMARY =") :] if "= SUMMARY =" in run.stdout else run.stdout[-3000:]
    print(summary)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]


def _throttled() -> float:
    return sum(
        sample.value
        for metric in HTTP_REQUESTS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels.get("status") == "429"
    )
