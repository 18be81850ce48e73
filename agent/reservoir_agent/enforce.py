"""The end of a booking on the machine: its holder's terminals are warned before it, and at it their
sessions and processes are ended (or only warned, as the resource type decides).

What was held on the previous look is remembered in the cache directory, so that an end is acted
on once, also after the agent restarts or while the server cannot be reached (the cache then
fails closed, and a booking that ended is over all the same)."""

import json
import os
import pwd
import signal
import sys
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Callable

from .config import Config
from .state import Holder, State
from .usage import UID_MIN, Process

GRACE_SECONDS = 5  # between SIGTERM and SIGKILL


def _memory_file(config: Config):
    return config.cache_dir / "enforce.json"


def remembered(config: Config) -> dict:
    try:
        return json.loads(_memory_file(config).read_text())
    except (OSError, ValueError):
        return {"held": {}, "warned": []}


def remember(config: Config, memory: dict) -> None:
    config.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = _memory_file(config).with_suffix(".tmp")
    temporary.write_text(json.dumps(memory))
    os.replace(temporary, _memory_file(config))


def account_of(config: Config, username: str) -> str:
    return config.shared_account or username


def _uid(account: str):
    try:
        return pwd.getpwnam(account).pw_uid
    except KeyError:
        return None


def terminals(found: Iterable[Process], uid: int) -> set[str]:
    """The terminals the account's processes write to."""
    ttys = set()
    for p in found:
        if p.uid != uid:
            continue
        try:
            target = os.readlink(f"/proc/{p.pid}/fd/0")
        except OSError:
            continue
        if target.startswith("/dev/pts/") or target.startswith("/dev/tty"):
            ttys.add(target)
    return ttys


def tell(found: Iterable[Process], account: str, message: str) -> int:
    """Writes to every terminal of the account; returns how many were told."""
    uid = _uid(account)
    if uid is None:
        return 0
    told = 0
    for tty in terminals(found, uid):
        try:
            fd = os.open(tty, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            os.write(fd, f"\r\n*** Reservoir: {message} ***\r\n".encode())
            told += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return told


def end_sessions(found: Iterable[Process], account: str, *, wait: Callable = time.sleep) -> int:
    """SIGTERM to every process of the account, then SIGKILL to what is left. System accounts
    (uid below UID_MIN, root included) are never touched."""
    uid = _uid(account)
    if uid is None or uid < UID_MIN:
        return 0
    mine = [p.pid for p in found if p.uid == uid]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = []
        for pid in mine:
            try:
                os.kill(pid, sig)
                alive.append(pid)
            except (ProcessLookupError, PermissionError):
                pass
        if not alive or sig == signal.SIGKILL:
            break
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and any(_exists(pid, uid) for pid in alive):
            wait(0.1)
        mine = [pid for pid in alive if _exists(pid, uid)]
    return len(mine)


def _exists(pid: int, uid: int) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == uid
    except OSError:
        return False


def _log(message: str) -> None:
    print(f"reservoir-agent: {message}", file=sys.stderr)


def enforce(config: Config, state: State, found: list[Process], moment: datetime) -> list[str]:
    """One look: warn who ends soon, end who has ended. Returns what was done, for the log."""
    memory = remembered(config)
    current = {str(h.booking): h for h in state.holders_at(moment)}
    in_use = {account_of(config, h.username) for h in current.values()}
    done = []
    for key, holder in current.items():
        left = (holder.end - moment).total_seconds() / 60
        if holder.warn_minutes and left <= holder.warn_minutes and key not in memory["warned"]:
            minutes = max(1, round(left))
            told = tell(found, account_of(config, holder.username), f"your booking ends in {minutes} min")
            memory["warned"].append(key)
            done.append(f"warned {holder.username} ({told} terminals): booking {key} ends in {minutes} min")
    for key, held in memory["held"].items():
        if key in current:
            continue
        account = account_of(config, held["username"])
        if account in in_use:
            continue  # the account is still someone's (their next booking, or a shared account)
        if held["at_end"] == "end":
            left = end_sessions(found, account)
            done.append(f"booking {key} of {held['username']} ended: sessions of {account} ended ({left} left)")
        else:
            tell(found, account, "your booking has ended; please log out")
            done.append(f"booking {key} of {held['username']} ended: {account} warned")
    memory["held"] = {key: _held(h) for key, h in current.items()}
    memory["warned"] = [key for key in memory["warned"] if key in current]
    remember(config, memory)
    for line in done:
        _log(line)
    return done


def _held(holder: Holder) -> dict:
    return {"username": holder.username, "end": holder.end.isoformat(), "at_end": holder.at_end}
