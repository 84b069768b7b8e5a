"""The Kubernetes manifests (deploy/kubernetes): they render, they pass the Kubernetes schemas and
an IaC security scan, and they start the image docker-compose.yml starts with the same settings.

kubectl (with its built-in kustomize) ships with this machine's image; kubernetes-validate and
checkov come from PyPI through ``uv tool run`` so they never enter the project's lock file. In CI a
missing tool fails the test; on a developer machine without kubectl it is skipped and says so.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.urls import resolve

BASE_DIR = Path(__file__).resolve().parent.parent
KUBE = BASE_DIR / "deploy" / "kubernetes"
OVERLAYS = {"base": KUBE / "base", "production": KUBE / "overlays" / "production"}
KUBERNETES_VERSION = "1.33"
KUBERNETES_VALIDATE = "kubernetes-validate==1.37.0"
CHECKOV = "checkov==3.3.30"

# Findings of the security scan that are deliberate, with the reason (also in docs/operations.md).
EXPLAINED_FINDINGS = {
    "CKV_K8S_43": "the repository names a tag; the release pipeline pins the digest with "
    "`kustomize edit set image yishi=…@sha256:…` before applying",
    "CKV_K8S_35": "Django reads its settings from the environment; the Secret is exposed only to "
    "Yishi's own non-root containers and never logged",
}
# Read by the code but deliberately not part of the deployment's settings.
NOT_DEPLOYED = {
    "TEST_DATABASE_NAME": "tests only",
    "YISHI_DEBUG_PAGES": "a developer's switch, only with DEBUG on",
    "YISHI_BENCH": "scripts/bench.sh only: serves the benchmark's trivial view",
}


def kustomize(name: str) -> list[dict]:
    if shutil.which("kubectl") is None:
        if os.environ.get("CI"):
            pytest.fail("kubectl is missing on the CI machine; it renders the Kubernetes manifests")
        pytest.skip("kubectl is not installed here; it renders the Kubernetes manifests")
    result = subprocess.run(["kubectl", "kustomize", str(OVERLAYS[name])], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def rendered_file(tmp_path: Path, name: str) -> Path:
    docs = kustomize(name)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True))
    return path


def tool(package: str, command: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    uv = shutil.which("uv")
    assert uv, "uv is missing (scripts/bootstrap.sh installs it)"
    return subprocess.run([uv, "tool", "run", "--quiet", "--from", package, command, *args], cwd=BASE_DIR,
                          capture_output=True, text=True, timeout=timeout)


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def pod_specs(docs: list[dict]) -> dict[str, dict]:
    return {
        doc["metadata"]["name"]: doc["spec"]["template"]["spec"]
        for doc in docs if doc["kind"] in {"Deployment", "Job"}
    }


@pytest.mark.parametrize("name", ["base", "production"])
def test_manifests_pass_the_kubernetes_schemas(tmp_path, name):
    path = rendered_file(tmp_path, name)
    result = tool(KUBERNETES_VALIDATE, "kubernetes-validate", "--strict", "-k", KUBERNETES_VERSION, str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed for resource deployment/yishi-web" in result.stdout + result.stderr


def test_kubernetes_validate_refuses_a_broken_manifest(tmp_path):
    """The schema check can fail: a Deployment with a misspelt field is refused."""
    docs = kustomize("production")
    web = by_kind(docs, "Deployment")["yishi-web"]
    web["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(web))
    result = tool(KUBERNETES_VALIDATE, "kubernetes-validate", "--strict", "-k", KUBERNETES_VERSION, str(path))
    assert result.returncode != 0


def test_security_scan_finds_nothing_unexplained(tmp_path):
    path = rendered_file(tmp_path, "production")
    result = tool(CHECKOV, "checkov", "-f", str(path), "--framework", "kubernetes", "--quiet", "--compact",
                  "-o", "json", timeout=900)
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 100, report["summary"]
    unexplained = sorted(
        {f"{check['check_id']} {check['check_name']} ({check['resource']})"
         for check in report["results"]["failed_checks"] if check["check_id"] not in EXPLAINED_FINDINGS}
    )
    assert unexplained == []


def test_every_container_runs_as_non_root_on_a_read_only_filesystem():
    docs = kustomize("production")
    for name, spec in pod_specs(docs).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec.get("initContainers", []) + spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert context["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert context["capabilities"]["drop"] == ["ALL"], (name, container["name"])
            assert container["resources"]["limits"]["memory"], (name, container["name"])
            # The image's user (Dockerfile: useradd --uid 10001).
            assert context["runAsUser"] == 10001
    assert "--uid 10001" in (BASE_DIR / "Dockerfile").read_text()


def test_exactly_one_beat_and_it_is_recreated_not_rolled():
    deployments = by_kind(kustomize("production"), "Deployment")
    beat = deployments["yishi-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert not by_kind(kustomize("production"), "HorizontalPodAutoscaler").get("yishi-beat")


def test_web_scales_and_survives_disruption():
    docs = kustomize("production")
    hpa = by_kind(docs, "HorizontalPodAutoscaler")["yishi-web"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "yishi-web"
    assert hpa["spec"]["minReplicas"] >= 2
    pdb = by_kind(docs, "PodDisruptionBudget")["yishi-web"]
    assert pdb["spec"]["minAvailable"] >= 1
    web = by_kind(docs, "Deployment")["yishi-web"]
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_web_probes_name_urls_that_exist_and_the_host_the_site_answers_to():
    docs = kustomize("production")
    config = by_kind(docs, "ConfigMap")["yishi-config"]["data"]
    web = by_kind(docs, "Deployment")["yishi-web"]["spec"]["template"]["spec"]
    container = web["containers"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert resolve(get["path"]).url_name in {"healthz_ready", "healthz_live"}
        headers = {h["name"]: h["value"] for h in get["httpHeaders"]}
        assert headers["Host"] in config["ALLOWED_HOSTS"].split(",")
    # New pods wait for the migration Job before they serve.
    assert "migrate --check" in " ".join(web["initContainers"][0]["command"])
    job = by_kind(docs, "Job")["yishi-migrate"]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"] == ["python", "manage.py", "migrate", "--noinput"]


def test_the_ingress_is_the_one_trusted_proxy():
    docs = kustomize("production")
    config = by_kind(docs, "ConfigMap")["yishi-config"]["data"]
    assert config["YISHI_TRUSTED_PROXY_COUNT"] == "1"
    ingress = by_kind(docs, "Ingress")["yishi-web"]
    assert ingress["spec"]["rules"][0]["host"] in config["ALLOWED_HOSTS"].split(",")


def settings_read_by_the_code() -> set[str]:
    pattern = re.compile(r"""(?:os\.environ\.get|os\.environ\[|os\.getenv|env_bool|env_int|env_list|env_str)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")
    names = set()
    for path in BASE_DIR.glob("*.py"):
        names.update(pattern.findall(path.read_text()))
    for path in BASE_DIR.glob("*/**/*.py"):
        if path.parts[len(BASE_DIR.parts)] in {".venv", "tests", "node_modules", "var"}:
            continue
        names.update(pattern.findall(path.read_text()))
    return names


def env_file_keys(path: Path) -> set[str]:
    return {line.split("=", 1)[0].strip() for line in path.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#") and "=" in line}


def test_every_setting_the_code_reads_is_in_the_configmap_or_the_secret():
    config = set(by_kind(kustomize("base"), "ConfigMap")["yishi-config"]["data"])
    secrets = env_file_keys(KUBE / "secrets.env.example")
    read = settings_read_by_the_code()
    assert {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"} <= read  # the scan works
    missing = read - config - secrets - set(NOT_DEPLOYED)
    assert missing == set()
    assert config & secrets == set()
    # Nothing in the ConfigMap that the code never reads (a typo would be silently ignored).
    assert config - read == set()


def test_docker_compose_and_kubernetes_run_the_same_processes_with_the_same_settings():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    deployments = by_kind(kustomize("base"), "Deployment")
    for name in ("worker", "beat"):
        k8s = deployments[f"yishi-{name}"]["spec"]["template"]["spec"]["containers"][0]["command"]
        assert k8s == services[name]["command"], name
    assert "gunicorn --config gunicorn.conf.py" in " ".join(services["web"]["command"])
    web = deployments["yishi-web"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert web == ["gunicorn", "--config", "gunicorn.conf.py"]
    # The same settings: what .env.example and compose set is what the ConfigMap and Secret set.
    compose_keys = env_file_keys(BASE_DIR / ".env.example") | set(services["web"]["environment"])
    compose_only = {"POSTGRES_PASSWORD", "YISHI_PORT"}  # compose's own database and published port
    kube_keys = set(by_kind(kustomize("base"), "ConfigMap")["yishi-config"]["data"]) | env_file_keys(
        KUBE / "secrets.env.example")
    kube_only = {"YISHI_VAR_DIR", "PORT", "CELERY_RESULT_BACKEND"}  # read-only root filesystem; image defaults
    assert compose_keys - compose_only == kube_keys - kube_only
