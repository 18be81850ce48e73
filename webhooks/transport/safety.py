"""Outbound safety: webhook URLs must not reach the inside of our network (SSRF), checked when a
webhook is saved and again right before each request (the name may resolve elsewhere by then)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in settings.WEBHOOK_ALLOWED_NETWORKS]


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip) -> list:
    """IPv4 addresses an IPv6 address reaches: IPv4-mapped, NAT64, 6to4, Teredo."""
    if ip.version != 6:
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in found if address is not None]


def check_address(address: str) -> None:
    """Only globally routable addresses (not private, loopback, link-local, carrier-grade NAT,
    benchmarking, documentation, reserved ...), also behind IPv6 wrappers of IPv4 addresses,
    unless WEBHOOK_ALLOWED_NETWORKS lists them."""
    ip = ipaddress.ip_address(address)
    allowed = _allowed_networks()
    for candidate in [ip, *_embedded_ipv4(ip)]:
        if any(candidate.version == network.version and candidate in network for network in allowed):
            continue
        if not candidate.is_global or candidate.is_multicast:
            raise ValidationError(
                f"{address} is not a public address (private, loopback, link-local, shared or reserved); "
                "webhooks may not call it."
            )


def resolve(url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Use an http:// or https:// URL with a host name.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise ValidationError(f"{parts.hostname} does not resolve: {exc.strerror}.") from exc
    return sorted({info[4][0] for info in infos})


def check_url(url: str) -> None:
    for address in resolve(url):
        check_address(address)


def pinned_address(url: str) -> str:
    """Resolve once, check every answer, and return the address to connect to: the request must go
    to exactly this address, so that a DNS answer changing in between cannot redirect it."""
    addresses = resolve(url)
    for address in addresses:
        check_address(address)
    return addresses[0]
