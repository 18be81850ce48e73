"""Outbound safety: webhook URLs must not reach the inside of our network (SSRF), checked when a
webhook is saved and again right before each request (the name may resolve elsewhere by then)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in settings.WEBHOOK_ALLOWED_NETWORKS]


def check_address(address: str) -> None:
    ip = ipaddress.ip_address(address)
    if any(ip in network for network in _allowed_networks()):
        return
    if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        raise ValidationError(f"{address} is a private, loopback or link-local address; webhooks may not call it.")


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
