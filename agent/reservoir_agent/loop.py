"""`reservoir-agent run`: the service. It pulls the machine's state every pull_seconds (at once on
SIGUSR1 or a signed webhook), warns and ends sessions as bookings end, and reports a sample every
sample_seconds. A failed pull or report is logged and tried again on schedule: the machine converges
after any outage."""

import base64
import hashlib
import hmac
import signal
import sys
import threading
import time
from datetime import datetime, timezone

from . import enforce, report, state
from .config import Config
from .usage import processes

TICK_SECONDS = 5
TOLERANCE_SECONDS = 300


def _log(message: str) -> None:
    print(f"reservoir-agent: {message}", file=sys.stderr, flush=True)


def signed(secret: str, headers, body: bytes, now: float) -> bool:
    """A Standard Webhooks signature by the webhook's secret, made in the last five minutes."""
    message_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not message_id or not stamp.isdigit() or abs(now - int(stamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
    offered = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, s.encode()) for s in offered)


def listen(config: Config, wake: threading.Event):
    # Here, not at the top: `keys` (every login) imports this module through the command line.
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    host, _, port = config.listen.rpartition(":")

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 1 << 20))
            if signed(config.webhook_secret, self.headers, body, time.time()):
                wake.set()
                self.send_response(204)
            else:
                self.send_response(401)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def tick(config: Config, *, pull: bool, sample: bool) -> None:
    if pull:
        try:
            state.pull(config)
        except state.Unreachable as exc:
            _log(f"the server cannot be reached ({exc}); going on with the cache")
    moment = datetime.now(timezone.utc)
    current = state.from_cache(config, moment)
    found = processes()
    enforce.enforce(config, current, found, moment)
    if sample:
        try:
            report.send(config, report.sample(config, current, found, moment))
        except state.Unreachable as exc:
            _log(f"the sample was not sent ({exc})")


def run(config: Config, *, once: bool = False) -> int:
    wake = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: wake.set())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if config.listen:
        listen(config, wake)
    next_pull = next_sample = 0.0
    while True:
        now = time.monotonic()
        pull = wake.is_set() or now >= next_pull
        sample = now >= next_sample
        wake.clear()
        tick(config, pull=pull, sample=sample)
        if pull:
            next_pull = now + config.pull_seconds
        if sample:
            next_sample = now + config.sample_seconds
        if once:
            return 0
        wake.wait(TICK_SECONDS)
