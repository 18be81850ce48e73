"""A webhook receiver: a real HTTP server on loopback that records what it gets."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A real HTTP server on loopback that records what it gets. Paths choose the answer:
    /ok 200, /bad 400, /gone 410, /flaky/<n> 503 for the first n calls then 200,
    /slow/<seconds> sleeps then 200, /retry-after/<seconds> 429 with Retry-After once then 200."""

    def __init__(self):
        self.requests: list[dict] = []
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.calls[self.path] = receiver.calls.get(self.path, 0) + 1
                    count = receiver.calls[self.path]
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body, "at": time.time()}
                    )
                status, extra = 200, {}
                parts = self.path.strip("/").split("/")
                if parts[0] == "bad":
                    status = 400
                elif parts[0] == "gone":
                    status = 410
                elif parts[0] == "flaky" and count <= int(parts[1]):
                    status = 503
                elif parts[0] == "slow":
                    time.sleep(float(parts[1]))
                elif parts[0] == "retry-after" and count == 1:
                    status, extra = 429, {"Retry-After": parts[1]}
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"received": True}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, path: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if path is None or r["path"] == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 20) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(path)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"expected {count} requests on {path}, got {len(self.received(path))}")
