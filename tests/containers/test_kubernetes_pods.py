"""The directory-asset chain with `@task.kubernetes` and `KubernetesPodOperator` stages: the pods they would
create are right.

There is no Kubernetes cluster here, so each stage runs in `dags test` up to the point where the operator sends its
pod to the API server (`get_or_create_pod`); the pod it built there (from the real run context, the real
`diff_since_last_consumed` plan and the provider's own code) is kept instead. Each pod is then
1. validated against Kubernetes' OpenAPI schema with `kubernetes-validate` (strict: no unknown fields), and
2. run: its base container (image, command, arguments, environment, the shared `/data` volume) in Docker, which
   plays the kubelet; the files it writes are the stage's outputs, so the next stage plans from them.
Data moves only through the shared volume (a PersistentVolumeClaim in the pod, a bind mount in Docker); XCom
carries the relative paths of the changed files.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from riir_airflow.dag_processing.loader import DagBag
from riir_airflow.dir_assets import DirAsset
from riir_airflow.runtime.manifests import default_store

pytestmark = [pytest.mark.timeout(600)]

FILES = 300
K8S_VERSION = "1.33"

CHAIN = """
import pendulum
from kubernetes.client import models as k8s

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.sdk import DAG, task
from riir_airflow.dir_assets import DirAsset, diff_since_last_consumed, prune

ROOT = {root!r}
IMAGE = {image!r}
BATCH = 100
ASSETS = [DirAsset(f"{{ROOT}}/{{name}}") for name in ("raw", "s1", "s2")]
START = pendulum.datetime(2024, 1, 1, tz="UTC")
# The shared volume: a claim every stage's pod mounts at /data (on the host of this test: ROOT).
CLAIM = k8s.V1PersistentVolumeClaimVolumeSource(claim_name="dir-assets")
VOLUMES = [k8s.V1Volume(name="data", persistent_volume_claim=CLAIM)]
MOUNTS = [k8s.V1VolumeMount(name="data", mount_path="/data")]
SCRIPT = (
    "import json, sys, pathlib\\n"
    "src, dst, files = pathlib.Path('/data', sys.argv[1]), pathlib.Path('/data', sys.argv[2]), sys.argv[3:]\\n"
    "for rel in files:\\n"
    "    (dst / rel).parent.mkdir(parents=True, exist_ok=True)\\n"
    "    (dst / rel).write_text((src / rel).read_text().upper())\\n"
    "pathlib.Path('/airflow/xcom').mkdir(parents=True, exist_ok=True)\\n"
    "pathlib.Path('/airflow/xcom/return.json').write_text(json.dumps(files))\\n"
)


def planner(source, target):
    @task
    def plan() -> list[list[str]]:
        diff = diff_since_last_consumed(source)
        prune(target.path, diff.removed)
        changed = diff.changed
        return [changed[i : i + BATCH] for i in range(0, len(changed), BATCH)]

    return plan()


with DAG("k8s_stage1", schedule=[ASSETS[0]], start_date=START):

    @task.kubernetes(image=IMAGE, namespace="data", volumes=VOLUMES, volume_mounts=MOUNTS, do_xcom_push=True)
    def process(batch: list[str]) -> list[str]:
        from pathlib import Path

        for rel in batch:
            out = Path("/data/s1", rel)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(Path("/data/raw", rel).read_text().upper())
        return batch

    process.expand(batch=planner(ASSETS[0], ASSETS[1]))

with DAG("k8s_stage2", schedule=[ASSETS[1]], start_date=START):

    @task
    def arguments(batches: list[list[str]]) -> list[list[str]]:
        return [["s1", "s2", *batch] for batch in batches]

    KubernetesPodOperator.partial(
        task_id="process", name="stage2", namespace="data", image=IMAGE, cmds=["python3", "-c", SCRIPT],
        volumes=VOLUMES, volume_mounts=MOUNTS, do_xcom_push=True,
    ).expand(arguments=arguments(planner(ASSETS[1], ASSETS[2])))
"""


class PodNotSent(Exception):
    """Raised where the operator would send its pod to the API server."""


def run_stage_capturing_pods(dag: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    pods: list[Any] = []

    def keep(self: Any, pod_request_obj: Any, context: Any) -> Any:
        pods.append(pod_request_obj)
        raise PodNotSent(pod_request_obj.metadata.name)

    monkeypatch.setattr(KubernetesPodOperator, "get_or_create_pod", keep)
    result = dag.test()
    planned = [r for r in result.task_instances() if r.task_id in ("plan", "arguments")]
    assert planned and all(r.state == "success" for r in planned)
    return pods


def run_pod_in_docker(pod: dict[str, Any], root: Path, xcom: Path) -> Any:
    """The pod's base container in Docker: its image, command, arguments and environment, with the claim mounted
    where the pod mounts it. Returns what it wrote to /airflow/xcom/return.json (the XCom sidecar's file)."""
    [base] = [c for c in pod["spec"]["containers"] if c["name"] == "base"]
    [mount] = [m for m in base["volumeMounts"] if m["name"] == "data"]
    assert {"name": "xcom", "mountPath": "/airflow/xcom"} in base["volumeMounts"]
    xcom.mkdir(parents=True, exist_ok=True)
    env = [arg for e in base.get("env", []) for arg in ("-e", f"{e['name']}={e['value']}")]
    command = [*base.get("command", []), *base.get("args", [])]
    subprocess.run(
        ["docker", "run", "--rm", "-v", f"{root}:{mount['mountPath']}", "-v", f"{xcom}:/airflow/xcom", *env,
         "--entrypoint", command[0], base["image"], *command[1:]],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return json.loads((xcom / "return.json").read_text())


def test_the_chain_as_kubernetes_pods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, python_image: str) -> None:
    import kubernetes_validate
    from kubernetes.client import ApiClient

    import riir_airflow.compat

    riir_airflow.compat.install()
    monkeypatch.setenv("AIRFLOW__RIIR__MANIFEST_STORE", str(tmp_path / "manifests"))
    # A kubeconfig naming a cluster that does not exist: the operator builds its client (nothing is sent).
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        textwrap.dedent("""
        apiVersion: v1
        kind: Config
        clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
        users: [{name: none, user: {token: none}}]
        contexts: [{name: none, context: {cluster: none, user: none}}]
        current-context: none
        """)
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_KUBERNETES_DEFAULT",
        json.dumps({"conn_type": "kubernetes", "extra": {"kube_config_path": str(kubeconfig)}}),
    )
    root = tmp_path / "data"
    for i in range(FILES):
        path = root / "raw" / f"p{i % 10}" / f"r{i:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"row {i}\n")
    for stage in ("s1", "s2"):
        (root / stage).mkdir()
    dag_file = tmp_path / "dags" / "k8s_chain.py"
    dag_file.parent.mkdir()
    dag_file.write_text(CHAIN.format(root=str(root), image=python_image))
    bag = DagBag(str(dag_file), include_examples=False)
    assert not bag.import_errors, bag.import_errors
    store = default_store()

    def stage(dag_id: str, output: str) -> list[list[str]]:
        captured = run_stage_capturing_pods(bag.dags[dag_id], monkeypatch)
        pods = [ApiClient().sanitize_for_serialization(p) for p in captured]
        returned = []
        for index, pod in enumerate(pods):
            kubernetes_validate.validate(pod, K8S_VERSION, strict=True)
            spec = pod["spec"]
            assert pod["metadata"]["namespace"] == "data"
            labels = pod["metadata"]["labels"]
            assert (labels["dag_id"], labels["task_id"]) == (dag_id, "process") and labels["map_index"] == str(index)
            # The claim, and the XCom sidecar's emptyDir its base container writes return.json into.
            assert {"name": "data", "persistentVolumeClaim": {"claimName": "dir-assets"}} in spec["volumes"]
            assert {"name": "xcom", "emptyDir": {}} in spec["volumes"]
            assert any(c["name"] == "airflow-xcom-sidecar" for c in spec["containers"])
            returned.append(run_pod_in_docker(pod, root, tmp_path / "xcom" / dag_id / str(index)))
        store.publish(DirAsset(str(root / output)))  # what the stage's success publishes
        return returned

    store.publish(DirAsset(str(root / "raw")))  # the producer's event
    first = stage("k8s_stage1", "s1")
    assert sum(len(b) for b in first) == FILES  # three pods of 100 files
    second = stage("k8s_stage2", "s2")
    assert sorted(f for b in second for f in b) == sorted(f for b in first for f in b)
    assert sum(1 for _ in (root / "s2").rglob("*.txt")) == FILES
    assert (root / "s2" / "p7" / "r0007.txt").read_text() == "ROW 7\n"

    # Change 7 files: one pod per stage, with exactly those 7.
    changed = sorted(f"p{i % 10}/r{i:04d}.txt" for i in (3, 14, 15, 92, 65, 35, 299))
    for rel in changed:
        path = root / "raw" / rel
        path.write_text("changed\n")
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    store.publish(DirAsset(str(root / "raw")))
    assert stage("k8s_stage1", "s1") == [changed]
    assert stage("k8s_stage2", "s2") == [changed]
    assert (root / "s2" / changed[0]).read_text() == "CHANGED\n"
