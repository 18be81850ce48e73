"""The Helm chart, rendered by Helm's own engine (libhelm_c, Helm's Go SDK, through helm-python-sdk) and
checked against the Kubernetes OpenAPI schemas of the oldest supported and the newest release, since
no cluster runs here."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helm_python.chart import Chart, lint
from helm_python.errors import HelmValuesError
from kubernetes_validate import validate

from config.celery import WORKER_QUEUES

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "chart"
KUBERNETES = ["1.27.0", "1.37.0"]


def render(values: dict | None = None) -> list[dict]:
    manifests = Chart.load(CHART).render(values, name="rsv", namespace="ops", is_install=True)
    return [
        doc for path, text in manifests.items() if path.endswith(".yaml") for doc in yaml.safe_load_all(text) if doc
    ]


def by_kind(docs: list[dict]) -> dict[tuple[str, str], dict]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


def container(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]["containers"][0]


@pytest.fixture(scope="module")
def default():
    return by_kind(render())


def test_lint_is_clean():
    report = lint(str(CHART), strict=True)
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("values", [None, {"web": {"autoscaling": {"enabled": False}}, "ingress": {"enabled": False}}])
@pytest.mark.parametrize("version", KUBERNETES)
def test_every_manifest_is_valid_kubernetes(values, version):
    docs = render(values)
    assert docs
    for doc in docs:
        validate(doc, version, strict=True)


def test_the_parts_a_deployment_needs(default):
    assert set(default) == {
        ("ConfigMap", "rsv-reservoir"),
        ("ServiceAccount", "rsv-reservoir"),
        ("Deployment", "rsv-reservoir-web"),
        ("Deployment", "rsv-reservoir-worker"),
        ("Deployment", "rsv-reservoir-beat"),
        ("Job", "rsv-reservoir-migrate"),
        ("Service", "rsv-reservoir"),
        ("Ingress", "rsv-reservoir"),
        ("HorizontalPodAutoscaler", "rsv-reservoir-web"),
        ("HorizontalPodAutoscaler", "rsv-reservoir-worker"),
        ("PodDisruptionBudget", "rsv-reservoir-web"),
    }


def test_web_probes_ports_service_and_ingress(default):
    web = container(default["Deployment", "rsv-reservoir-web"])
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    service = default["Service", "rsv-reservoir"]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "web"
    backend = default["Ingress", "rsv-reservoir"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == {"service": {"name": "rsv-reservoir", "port": {"name": "http"}}}


def test_beat_is_one_replica_and_never_two_during_a_rollout(default):
    beat = default["Deployment", "rsv-reservoir-beat"]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"] == {"type": "Recreate"}
    assert container(beat)["args"] == ["beat"] and "command" not in container(beat)
    assert ("HorizontalPodAutoscaler", "rsv-reservoir-beat") not in default
    with pytest.raises(HelmValuesError, match="replicas"):
        render({"beat": {"replicas": 2}})


def test_worker_listens_on_both_queues(default):
    worker = container(default["Deployment", "rsv-reservoir-worker"])
    assert worker["args"][0] == "worker" and "command" not in worker
    assert {"name": "CELERY_QUEUES", "value": ",".join(WORKER_QUEUES)} in worker["env"]


def test_every_process_starts_by_the_images_entrypoint_word(default):
    """The image's ENTRYPOINT (deploy/entrypoint.sh) takes one word per role, as compose gives it."""
    words = {name: container(doc)["args"][0] for (kind, name), doc in default.items() if kind in {"Deployment", "Job"}}
    assert words == {
        "rsv-reservoir-web": "web",
        "rsv-reservoir-worker": "worker",
        "rsv-reservoir-beat": "beat",
        "rsv-reservoir-migrate": "migrate",
    }
    assert not any("command" in container(doc) for (kind, _), doc in default.items() if kind in {"Deployment", "Job"})


def test_autoscalers_own_the_replica_count(default):
    hpa = default["HorizontalPodAutoscaler", "rsv-reservoir-web"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "rsv-reservoir-web"}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 8)
    assert "replicas" not in default["Deployment", "rsv-reservoir-web"]["spec"]
    fixed = by_kind(render({"web": {"autoscaling": {"enabled": False}, "replicas": 4}}))
    assert fixed["Deployment", "rsv-reservoir-web"]["spec"]["replicas"] == 4
    assert ("HorizontalPodAutoscaler", "rsv-reservoir-web") not in fixed


def test_migrations_run_as_a_hook_before_install_and_upgrade(default):
    job = default["Job", "rsv-reservoir-migrate"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert container(job)["args"] == ["migrate"]
    # A pre-install hook runs before the release's ConfigMap and ServiceAccount exist.
    assert "envFrom" not in container(job) and "serviceAccountName" not in job["spec"]["template"]["spec"]
    assert not by_kind(render({"migrations": {"enabled": False}})).get(("Job", "rsv-reservoir-migrate"))


def test_every_container_has_resources_and_a_locked_down_context(default):
    for doc in default.values():
        if doc["kind"] in ("Deployment", "Job"):
            spec = container(doc)
            assert spec["resources"]["requests"] and spec["resources"]["limits"]["memory"], doc["metadata"]["name"]
            assert spec["securityContext"]["readOnlyRootFilesystem"] is True
            assert {"name": "tmp", "mountPath": "/tmp"} in spec["volumeMounts"]  # noqa: S108 - an emptyDir
            assert doc["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_external_services_and_secrets_come_from_existing_secrets(default):
    values = {
        "database": {"existingSecret": "pg-prod", "urlKey": "url"},
        "redis": {"existingSecret": "redis-prod", "urlKey": "broker"},
        "keycloak": {"issuer": "https://id.example.com/realms/lab", "existingSecret": "kc", "clientId": "rsv"},
    }
    docs = by_kind(render(values))
    for name in ("web", "worker", "beat"):
        env = {
            e["name"]: e.get("valueFrom", {}).get("secretKeyRef")
            for e in container(docs["Deployment", f"rsv-reservoir-{name}"])["env"]
        }
        assert env["DATABASE_URL"] == {"name": "pg-prod", "key": "url"}
        assert env["CELERY_BROKER_URL"] == {"name": "redis-prod", "key": "broker"}
        assert env["OIDC_RP_CLIENT_SECRET"] == {"name": "kc", "key": "OIDC_RP_CLIENT_SECRET"}
        assert env["SECRET_KEY"] == {"name": "reservoir", "key": "SECRET_KEY"}
    config = docs["ConfigMap", "rsv-reservoir"]["data"]
    assert config["OIDC_ISSUER"] == "https://id.example.com/realms/lab" and config["OIDC_RP_CLIENT_ID"] == "rsv"
    rendered = yaml.safe_dump([docs[key] for key in docs])
    assert "postgres://" not in rendered and "redis://" not in rendered


def test_config_changes_roll_the_pods(default):
    before = default["Deployment", "rsv-reservoir-web"]["spec"]["template"]["metadata"]["annotations"]
    after = by_kind(render({"config": {"allowedHosts": ["other.example.org"], "siteUrl": "https://other.example.org"}}))
    assert after["Deployment", "rsv-reservoir-web"]["spec"]["template"]["metadata"]["annotations"] != before


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"web": {"replicas": "three"}}, "/web/replicas"),
        ({"config": {"allowedHosts": []}}, "/config/allowedHosts"),
        ({"keycloak": {"issuer": "https://id.example.com/"}}, "/keycloak/issuer"),
        ({"worker": {"queues": ["emails"]}}, "/worker/queues"),
        ({"databse": {}}, "databse"),
    ],
)
def test_bad_values_are_refused_by_the_schema(values, complaint):
    with pytest.raises(HelmValuesError, match=complaint):
        render(values)


def test_the_rendered_settings_pass_djangos_deployment_checks(default):
    """The ConfigMap plus stand-ins for the secrets make a production configuration Django accepts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "DJANGO_", "OIDC_", "TEST_"))}
    env.update(default["ConfigMap", "rsv-reservoir"]["data"])
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/reservoir"),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        OIDC_RP_CLIENT_SECRET="stand-in",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
