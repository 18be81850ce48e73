"""The agent as a machine runs it: its own process, its own config file, talking HTTP to a server."""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

AGENT = Path(__file__).resolve().parents[2] / "agent"
sys.path.insert(0, str(AGENT))  # the agent's modules, for the tests of its readers


class FakeReservoir:
    """A real HTTP server on loopback standing in for Reservoir's agent endpoint in these tests of
    the agent alone (the server's own endpoint is tested against the agent elsewhere)."""

    def __init__(self):
        self.document = {"holders": []}
        self.up = True
        self.seen_tokens = []
        self.samples = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.seen_tokens.append(self.headers.get("Authorization"))
                if not owner.up:
                    self.send_error(503)
                    return
                body = json.dumps(owner.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                owner.seen_tokens.append(self.headers.get("Authorization"))
                owner.samples.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(201 if owner.up else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def reservoir():
    server = FakeReservoir()
    yield server
    server.server.shutdown()


@pytest.fixture
def agent_config(tmp_path, reservoir):
    def write(account="own", fresh_seconds=90, server=None, extra=""):
        path = tmp_path / "reservoir-agent.conf"
        path.write_text(
            "[reservoir]\n"
            f"server = {server or reservoir.url}\n"
            "token = rsm_test\n"
            "resource = dgx-01\n"
            f"account = {account}\n"
            f"cache_dir = {tmp_path / 'cache'}\n"
            f"fresh_seconds = {fresh_seconds}\n"
            "timeout_seconds = 2\n" + extra
        )
        return path

    return write


@pytest.fixture
def run_agent():
    def run(config, *args):
        done = subprocess.run(
            [sys.executable, "-m", "reservoir_agent", "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=30,
            env={"PYTHONPATH": str(AGENT), "PATH": "/usr/bin:/bin"},
        )
        return done

    return run
