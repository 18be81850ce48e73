"""Production settings refuse to start half-configured; `check --deploy` is clean."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 64 + "-a-long-random-production-secret",
    "ALLOWED_HOSTS": "reservoir.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/reservoir",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def run_manage(*args, **env):
    inherited_only_by_tests = {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k not in inherited_only_by_tests}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_off_requires_a_secret_key():
    result = run_manage("check", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_off_never_starts_an_embedded_database():
    env = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "DATABASE_URL must be set when DEBUG is off" in result.stderr


def test_debug_off_never_starts_an_embedded_broker():
    env = {k: v for k, v in PRODUCTION.items() if k != "CELERY_BROKER_URL"}
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "CELERY_BROKER_URL (or REDIS_URL) must be set" in result.stderr


def test_only_postgresql_is_accepted():
    result = run_manage("check", **{**PRODUCTION, "DATABASE_URL": "sqlite:///db.sqlite3"})
    assert result.returncode != 0
    assert "DATABASE_URL must point to PostgreSQL" in result.stderr


def test_static_files_collect_under_production_settings(tmp_path):
    # The Dockerfile's collectstatic step, with the manifest storage production uses.
    result = run_manage("collectstatic", "--noinput", **PRODUCTION, STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()
    assert list((tmp_path / "admin").rglob("*.css.gz"))


def test_site_url_follows_host_and_port_in_development_unless_set():
    development = {**PRODUCTION, "DEBUG": "1"}
    script = "from django.conf import settings; print(settings.SITE_URL)"
    moved = run_manage("shell", "-c", script, **development, HOST="192.0.2.7", PORT="8100")
    assert moved.stdout.strip().splitlines()[-1] == "http://192.0.2.7:8100", moved.stderr
    fixed = run_manage("shell", "-c", script, **development, PORT="8100", SITE_URL="https://book.example.org")
    assert fixed.stdout.strip().splitlines()[-1] == "https://book.example.org", fixed.stderr
