"""A real OpenID Connect provider process (oidc-provider-mock) that issues Keycloak-shaped claims."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen

    def set_user(self, sub: str, **claims) -> None:
        """Claims the next login of `sub` receives (in the ID token and from userinfo)."""
        requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10).raise_for_status()

    def authorize(self, authorize_url: str, sub: str) -> str:
        """What the user does on the provider's page: returns the redirect back to Reservoir."""
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]


def keycloak_claims(username: str, *, realm_roles=(), client_roles=(), groups=(), client_id="reservoir") -> dict:
    return {
        "preferred_username": username,
        "email": f"{username}@example.org",
        "given_name": username.capitalize(),
        "family_name": "Tester",
        "realm_access": {"roles": ["offline_access", *realm_roles]},
        "resource_access": {client_id: {"roles": list(client_roles)}, "account": {"roles": ["view-profile"]}},
        "groups": list(groups),
    }


def start_provider(*, token_max_age: int | None = None) -> Provider:
    port = free_port()
    extra = ["--token-max-age", str(token_max_age)] if token_max_age else []
    env = {**os.environ, "AUTHLIB_INSECURE_TRANSPORT": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--host", "127.0.0.1", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                return Provider(issuer=issuer, process=process)
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("oidc-provider-mock did not start")
