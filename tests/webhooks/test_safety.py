"""Webhooks call only globally routable addresses, also when an IPv6 address wraps an IPv4 one."""

import pytest
from django.core.exceptions import ValidationError

from webhooks.transport.safety import check_address

REFUSED = [
    "127.0.0.1",  # loopback
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # link-local, cloud metadata
    "100.64.0.1",  # carrier-grade NAT (pod and VPN networks)
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "192.0.0.1",  # IETF protocol assignments
    "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "224.0.0.1",  # multicast
    "::1",
    "fc00::1",  # unique local
    "fe80::1",  # link-local
    "2001:db8::1",  # documentation
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
]
ALLOWED = ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::101:101"]  # the last: NAT64 of 1.1.1.1


@pytest.mark.parametrize("address", REFUSED)
def test_addresses_that_are_not_public_are_refused(address, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError, match="not a public address"):
        check_address(address)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_pass(address, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    check_address(address)


def test_an_operator_may_allow_an_internal_network(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["100.64.0.0/10"]
    check_address("100.64.3.4")
    with pytest.raises(ValidationError):
        check_address("10.0.0.1")


def test_consecutive_deliveries_to_a_receiver_reuse_its_connection(settings):
    """Keep-alive: one TCP connection for several deliveries to one receiver and worker thread;
    a receiver at another checked address gets its own."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from webhooks.models import Webhook
    from webhooks.transport import delivery

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    peers = []

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            peers.append(self.client_address)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = Webhook(url=f"http://127.0.0.1:{server.server_port}/in", timeout_seconds=5)
        outcomes = [delivery.post(hook, b"{}", {"Content-Type": "application/json"}) for _ in range(5)]
        assert [o.status for o in outcomes] == [204] * 5
        assert len(set(peers)) == 1  # the same client port: one connection
        other = Webhook(url=f"http://localhost:{server.server_port}/in", timeout_seconds=5)
        assert delivery.post(other, b"{}", {}).status == 204
        assert len(set(peers)) == 2  # another name: its own session and connection
    finally:
        server.shutdown()
        server.server_close()
