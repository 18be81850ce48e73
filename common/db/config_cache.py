"""Configuration kept per process, keyed by a version the database raises whenever it changes
(a site's `config_version`, kept by triggers): a hot path reads one number instead of compiling
and running the query for rows that change a few times a month (issue 17's profile: the quota
rules and the webhook match were a third of a booking's time)."""

import threading
from collections.abc import Callable, Hashable

MAX_ENTRIES = 10_000

_entries: dict[Hashable, tuple[int, object]] = {}
_lock = threading.Lock()


def cached(key: Hashable, version: int, load: Callable[[], object]):
    """What `load()` returns, from memory while `version` is the one it was loaded at. Callers
    must not change what they get: it is shared by the threads of the process."""
    entry = _entries.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    value = load()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (version, value)
    return value
