from urllib.parse import quote

from django.db import connection


def database_url() -> str:
    """The database this process uses, as a DATABASE_URL for child processes (web, worker, beat
    of devstack; workers and gunicorn started by tests and benches) — embedded sockets included."""
    db = connection.settings_dict
    host = quote(str(db.get("HOST") or ""), safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db.get('USER') or '', safe='')}{password}@{host}{port}/{db['NAME']}"
