"""Loaded before Django (pytest -p): this test run gets Redis keys of its own, so it neither takes
nor leaves tasks for a demo (`dev.py run`) or another test run on the same Redis. Worker processes
the tests start inherit the environment, hence the same prefix."""

import os

os.environ.setdefault("CELERY_BROKER_KEY_PREFIX", "reservoir-test:")
