"""Which public keys sshd may accept for a local account, now."""

from datetime import datetime

from .config import Config
from .state import State


def authorized_keys(config: Config, state: State, local_user: str, moment: datetime) -> list[str]:
    """On a shared account, the keys of everyone who holds the machine now; on own accounts, the
    keys of the holder with that username. Anyone else: none."""
    holders = state.holders_at(moment)
    if config.shared_account is not None:
        chosen = holders if local_user == config.shared_account else []
    else:
        chosen = [h for h in holders if h.username == local_user]
    keys: list[str] = []
    for holder in chosen:
        keys.extend(k for k in holder.keys if k not in keys)
    return keys
