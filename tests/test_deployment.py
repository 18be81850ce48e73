"""docker-compose.yml and the Keycloak realm carry what Reservoir needs (no engine runs here)."""

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from django.conf import settings

from config.celery import WORKER_QUEUES

ROOT = settings.BASE_DIR


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_every_process_against_real_servers():
    services = compose()["services"]
    assert {"db", "redis", "keycloak", "migrate", "web", "worker", "beat"} <= set(services)
    words = {name: services[name]["command"] for name in ("migrate", "web", "worker", "beat")}
    assert words == {"migrate": ["migrate"], "web": ["web"], "worker": ["worker"], "beat": ["beat"]}
    assert "deploy" not in services["beat"]  # one beat
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and env["CELERY_BROKER_URL"].startswith("redis://")
    assert env["OIDC_ISSUER"].endswith("/realms/reservoir")
    assert "--import-realm" in services["keycloak"]["command"]
    assert services["web"]["env_file"] == ".env"


def test_no_secret_is_committed_in_the_compose_file():
    text = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"(PASSWORD|SECRET)[A-Z_]*:\s*[^$\s{][^\s]*", text), "secrets must come from .env"


def test_realm_matches_the_claim_mapping(tmp_path):
    realm = json.loads((ROOT / "deploy" / "keycloak" / "realm.template.json").read_text())
    issuer = compose()["services"]["web"]["environment"]["OIDC_ISSUER"]
    assert issuer.rsplit("/", 1)[-1] == realm["realm"] == "reservoir"
    assert settings.OIDC_ADMIN_ROLE in [r["name"] for r in realm["roles"]["realm"]]
    client = next(c for c in realm["clients"] if c["clientId"] == "reservoir")
    assert client["publicClient"] is False and client["attributes"]["pkce.code.challenge.method"] == "S256"
    mappers = {m["protocolMapper"]: m["config"] for m in client["protocolMappers"]}
    assert mappers["oidc-group-membership-mapper"]["full.path"] == "true"
    assert mappers["oidc-group-membership-mapper"]["claim.name"] == "groups"
    assert mappers["oidc-audience-mapper"]["included.client.audience"] == "reservoir"
    assert mappers["oidc-usermodel-realm-role-mapper"]["claim.name"] == "realm_access.roles"
    sites = next(g for g in realm["groups"] if g["name"] == settings.OIDC_SITE_GROUP_PREFIX.strip("/"))
    assert all(sub["subGroups"][0]["name"] == settings.OIDC_SITE_ADMIN_GROUP for sub in sites["subGroups"])
    users = {u["username"]: u for u in realm["users"]}
    assert users["admin"]["realmRoles"] == ["reservoir-admin"]
    assert users["siteadmin"]["groups"] == ["/sites/berlin/admins"] and users["user"]["groups"] == ["/sites/berlin"]


def test_the_generator_writes_env_and_realm_without_placeholders(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        import generate_env
    finally:
        sys.path.pop(0)
    monkeypatch.setattr(generate_env, "ENV", tmp_path / ".env")
    monkeypatch.setattr(generate_env, "REALM", tmp_path / "realm.json")
    assert generate_env.main([]) == 0
    env = dict(line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines())
    assert {"SECRET_KEY", "POSTGRES_PASSWORD", "OIDC_RP_CLIENT_SECRET", "KEYCLOAK_ADMIN_PASSWORD"} <= set(env)
    realm = json.loads((tmp_path / "realm.json").read_text())
    client = next(c for c in realm["clients"] if c["clientId"] == "reservoir")
    assert client["secret"] == env["OIDC_RP_CLIENT_SECRET"]
    assert "{{" not in (tmp_path / "realm.json").read_text()
    assert generate_env.main([]) == 1  # never overwrites secrets by accident
    assert oct((tmp_path / ".env").stat().st_mode)[-3:] == "600"


def test_production_settings_from_the_generated_env_pass_the_deploy_check(tmp_path):
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        import generate_env
    finally:
        sys.path.pop(0)
    values = generate_env.generate()
    env = {
        "PATH": "/usr/bin:/bin",
        **{k: v for k, v in values.items() if not k.startswith("DEMO_")},
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/reservoir",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "OIDC_ISSUER": "http://keycloak:8080/realms/reservoir",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def run_entrypoint(tmp_path, *argv: str, **env: str) -> subprocess.CompletedProcess:
    """deploy/entrypoint.sh as the image runs it, with gunicorn, celery and python replaced by
    programs that print how they were started."""
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    for program in ("gunicorn", "celery", "python"):
        (stubs / program).write_text(f'#!/bin/sh\necho {program} "$@"\n')
        (stubs / program).chmod(0o755)
    return subprocess.run(
        ["sh", str(ROOT / "deploy" / "entrypoint.sh"), *argv],
        env={"PATH": f"{stubs}:/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_entrypoint_starts_each_role_by_its_word(tmp_path):
    started = {role: run_entrypoint(tmp_path, role, PORT="8123").stdout.split() for role in ("web", "worker", "beat")}
    assert started["web"][:2] == ["gunicorn", "config.wsgi:application"] and "0.0.0.0:8123" in started["web"]
    worker = started["worker"]
    assert worker[:4] == ["celery", "-A", "config", "worker"] and worker[worker.index("-Q") + 1] == ",".join(
        WORKER_QUEUES
    )
    assert started["beat"][:4] == ["celery", "-A", "config", "beat"]
    assert run_entrypoint(tmp_path, "migrate").stdout.split() == ["python", "manage.py", "migrate", "--noinput"]
    assert run_entrypoint(tmp_path, "worker", "--concurrency", "2").stdout.split()[-2:] == ["--concurrency", "2"]
    assert run_entrypoint(tmp_path, "python", "manage.py", "shell").stdout.split() == ["python", "manage.py", "shell"]


def test_the_web_empties_a_metrics_folder_it_did_not_make_and_refuses_one_it_cannot_write(tmp_path):
    metrics = tmp_path / "prometheus"
    metrics.mkdir()
    (metrics / "counter_1.db").write_bytes(b"stale")
    result = run_entrypoint(tmp_path, "web", PROMETHEUS_MULTIPROC_DIR=str(metrics))
    assert result.returncode == 0 and metrics.is_dir() and not any(metrics.iterdir())
    if os.geteuid() == 0:  # as the image's user, a folder root left behind (the image of issue 35)
        locked = ["setpriv", "--reuid=10001", "--regid=10001", "--clear-groups"]
        metrics = Path(tempfile.mkdtemp(prefix="reservoir-metrics-"))
        metrics.chmod(0o755)
        (tmp_path / "bin").chmod(0o755)
        tmp_path.chmod(0o755)
        tmp_path.parent.chmod(0o755)
        (metrics / "counter_2.db").write_bytes(b"root's")
        result = subprocess.run(
            [*locked, "sh", str(ROOT / "deploy" / "entrypoint.sh"), "web"],
            env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 1 and "not writable by 10001" in result.stderr


def test_compose_file_is_valid_for_compose(tmp_path):
    """podman-compose parses and resolves it as a Compose engine would (no engine runs here)."""
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=x\nKEYCLOAK_ADMIN_PASSWORD=y\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "podman_compose",
            "--env-file",
            str(tmp_path / ".env"),
            "-f",
            str(ROOT / "docker-compose.yml"),
            "config",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["services"]["worker"]["command"] == ["worker"]
    assert resolved["services"]["web"]["environment"]["DATABASE_URL"] == "postgres://reservoir:x@db:5432/reservoir"


def test_gunicorn_leaves_a_long_address_to_django_which_answers_414_in_the_error_shape(tmp_path):
    """gunicorn's own 414 (a page, past 4,094 characters) was not the API's error shape (schemathesis)."""
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": "postgres://127.0.0.1:1/unused", "ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,  # gunicorn.conf.py, as in the image
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/reservations/?search=" + "x" * 20_000
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=5)
            except urllib.error.HTTPError as exc:
                status, body = exc.code, json.loads(exc.read())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert status == 414 and body["code"] == "uri_too_long" and set(body) >= {"detail", "errors"}
    finally:
        server.terminate()
        server.wait(30)
