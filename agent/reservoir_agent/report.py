"""Every minute: one sample of the machine's use, sent to the server."""

import json
from datetime import datetime

from .config import Config
from .state import State, Unreachable
from .usage import Process, foreign, gpus, load, logged_in


def sample(config: Config, state: State, found: list[Process], moment: datetime) -> dict:
    holders = state.holders_at(moment)
    allowed = {h.username for h in holders}
    if config.shared_account and holders:
        allowed.add(config.shared_account)
    return {
        "taken_at": moment.isoformat(),
        "interval_seconds": config.sample_seconds,
        "logged_in": logged_in(found),
        "shared_account": config.shared_account,
        "load": load(),
        "gpus": gpus(),
        "foreign": foreign(found, allowed),
    }


def send(config: Config, document: dict) -> None:
    import urllib.error  # not at the top: see state.fetch
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - the server's http(s) URL from root's config
        f"{config.server}/api/agent/usage/",
        data=json.dumps(document).encode(),
        method="POST",
        headers={"Authorization": f"Machine {config.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_seconds) as response:  # noqa: S310
            response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise Unreachable(str(exc)) from exc
