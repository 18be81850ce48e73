"""Loaded before Django (pytest -p): this test run gets Redis keys of its own (and, when Redis is
embedded, a server of its own), so it neither takes nor leaves tasks for a demo (`dev.py run`) on
the same Redis. Worker processes the tests start inherit the environment."""

import os

os.environ.setdefault("CELERY_BROKER_KEY_PREFIX", "reservoir-test:")
# Without a broker URL: an embedded Redis of the test run's own, beside the demo's, stopped at the end.
os.environ.setdefault("EMBEDDED_REDIS_FILE", "redis-test.db")
