"""This machine's state as the server last told it: who holds it, from when to when, with which keys.

The state is cached on disk so that a login never waits on the server. When the server cannot be
reached the cache decides, and it fails closed: only a holder whose booking had already begun when
the state was fetched is let in, and only until that booking's end. A later holder, or anyone
after the end, waits until the server answers again."""

import json
import os
import time
from datetime import datetime, timezone
from typing import NamedTuple, Optional

from .config import Config


class Unreachable(Exception):
    pass


class Holder(NamedTuple):
    username: str
    start: datetime
    end: datetime
    keys: list[str]
    booking: int = 0
    at_end: str = "end"  # "end": their sessions are ended at the end; "warn": only warned
    warn_minutes: int = 10


class State(NamedTuple):
    fetched_at: datetime
    holders: list[Holder]
    live: bool  # just fetched from the server, or read from the cache

    def holders_at(self, moment: datetime) -> list[Holder]:
        """Who may log in at `moment`. From a cache that is not fresh, only what had begun by
        the time it was fetched (fail closed)."""
        return [h for h in self.holders if h.start <= moment < h.end and (self.live or h.start <= self.fetched_at)]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse(document: dict, *, live: bool) -> State:
    return State(
        fetched_at=_moment(document["fetched_at"]),
        live=live,
        holders=[
            Holder(
                h["username"],
                _moment(h["start"]),
                _moment(h["end"]),
                list(h.get("keys", [])),
                booking=int(h.get("booking", 0)),
                at_end=h.get("at_end", "end"),
                warn_minutes=int(h.get("warn_minutes", 10)),
            )
            for h in document.get("holders", [])
        ],
    )


def fetch(config: Config) -> dict:
    """GET the machine's state; adds the moment it was fetched (the agent's clock)."""
    # Here, not at the top: a login served from a fresh cache never loads the HTTP client (~18 ms).
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - the server's http(s) URL from root's config
        f"{config.server}/api/agent/state/",
        headers={"Authorization": f"Machine {config.token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_seconds) as response:  # noqa: S310
            document = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unreachable(str(exc)) from exc
    document["fetched_at"] = datetime.now(timezone.utc).isoformat()
    return document


def save(config: Config, document: dict) -> None:
    """Atomically, so that a login reading it never sees half a file."""
    import tempfile  # here: a login served from the cache never writes it

    config.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=config.cache_dir, prefix=".state-")
    with os.fdopen(handle, "w") as out:
        json.dump(document, out)
    os.replace(temporary, config.state_file)


def cached(config: Config) -> Optional[dict]:
    try:
        return json.loads(config.state_file.read_text())
    except (OSError, ValueError):
        return None


def pull(config: Config) -> dict:
    document = fetch(config)
    save(config, document)
    return document


def from_cache(config: Config, moment: datetime) -> State:
    """The cache as it is, failing closed once it is no longer fresh (for the agent's own loop,
    which pulls on its own schedule)."""
    document = cached(config)
    if document is None:
        return State(fetched_at=moment, holders=[], live=False)
    age = moment.timestamp() - _moment(document["fetched_at"]).timestamp()
    return parse(document, live=0 <= age < config.fresh_seconds)


def current(config: Config) -> State:
    """The cache while it is fresh; else the server, saved; else the stale cache, failing closed;
    with neither, nobody."""
    document = cached(config)
    if document is not None:
        age = time.time() - _moment(document["fetched_at"]).timestamp()
        if 0 <= age < config.fresh_seconds:
            return parse(document, live=True)
    try:
        return parse(pull(config), live=True)
    except Unreachable:
        if document is None:
            return State(fetched_at=datetime.now(timezone.utc), holders=[], live=False)
        return parse(document, live=False)
