"""The agent's settings, from one INI file (reservoir-agent.conf.example shows every key)."""

import configparser
from pathlib import Path
from typing import NamedTuple, Optional


class ConfigError(Exception):
    pass


class Config(NamedTuple):
    server: str
    token: str
    resource: str
    account: str = "own"  # "own" or "shared:<local account>"
    cache_dir: Path = Path("/var/cache/reservoir-agent")
    fresh_seconds: int = 90
    timeout_seconds: float = 3.0
    pull_seconds: int = 30
    sample_seconds: int = 60
    listen: str = ""  # host:port of the optional receiver of signed webhooks that pulls at once
    webhook_secret: str = ""

    @property
    def shared_account(self) -> Optional[str]:
        return self.account.split(":", 1)[1] if self.account.startswith("shared:") else None

    @property
    def state_file(self) -> Path:
        return self.cache_dir / "state.json"


def load(path) -> Config:
    parser = configparser.ConfigParser()
    if not parser.read(path):
        raise ConfigError(f"cannot read {path}")
    if not parser.has_section("reservoir"):
        raise ConfigError(f"{path} has no [reservoir] section")
    section = parser["reservoir"]
    missing = [key for key in ("server", "token", "resource") if not section.get(key)]
    if missing:
        raise ConfigError(f"{path} lacks {', '.join(missing)}")
    account = section.get("account", "own")
    if account != "own" and not (account.startswith("shared:") and len(account) > len("shared:")):
        raise ConfigError(f'account must be "own" or "shared:<account>", not {account!r}')
    if section.get("listen") and not section.get("webhook_secret"):
        raise ConfigError("listen needs webhook_secret: only signed webhooks may make the agent pull")
    return Config(
        server=section["server"].rstrip("/"),
        token=section["token"],
        resource=section["resource"],
        account=account,
        cache_dir=Path(section.get("cache_dir", "/var/cache/reservoir-agent")),
        fresh_seconds=section.getint("fresh_seconds", 90),
        timeout_seconds=section.getfloat("timeout_seconds", 3.0),
        pull_seconds=section.getint("pull_seconds", 30),
        sample_seconds=section.getint("sample_seconds", 60),
        listen=section.get("listen", ""),
        webhook_secret=section.get("webhook_secret", ""),
    )
