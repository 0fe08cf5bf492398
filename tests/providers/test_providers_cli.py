"""`riir-airflow providers ...`: the same rows and keys as `airflow providers ...` (compared with Airflow 3.3.2 for
the providers both environments have), and `providers install` never installs Apache Airflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from riir_airflow.cli import provider_install

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "compat-tests"))

pytestmark = pytest.mark.filterwarnings("ignore:DSA is deprecated")


def riir(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "riir_airflow", "providers", *args], capture_output=True, text=True, env=env, timeout=120
    )


def airflow(tmp_path: Path, *args: str) -> list[dict[str, object]]:
    from airflow_env import VENV, airflow_env, airflow_python

    airflow_python()
    proc = subprocess.run(
        [str(VENV / "bin" / "airflow"), "providers", *args], env=airflow_env(tmp_path), capture_output=True,
        text=True, timeout=300, check=True,
    )  # fmt: skip
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.compat
@pytest.mark.timeout(600)  # seven `airflow providers ...` runs in the reference venv
def test_list_get_and_hooks_match_airflow(tmp_path: Path) -> None:
    theirs = airflow(tmp_path, "list", "-o", "json")
    ours = json.loads(riir("list", "-o", "json").stdout)
    common = {row["package_name"] for row in theirs}
    assert len(common) >= 5
    assert [row for row in ours if row["package_name"] in common] == theirs
    assert {row["package_name"] for row in ours} >= {"apache-airflow-providers-http", "apache-airflow-providers-sqlite"}

    assert json.loads(riir("get", "apache-airflow-providers-smtp", "-o", "json").stdout) == airflow(
        tmp_path, "get", "apache-airflow-providers-smtp", "-o", "json"
    )

    their_hooks = airflow(tmp_path, "hooks", "-o", "json")
    our_hooks = json.loads(riir("hooks", "-o", "json").stdout)
    their_types = {row["connection_type"] for row in their_hooks}
    assert [row for row in our_hooks if row["connection_type"] in their_types] == their_hooks

    # Connection form fields and field behaviours, from the providers' metadata.
    their_widgets = airflow(tmp_path, "widgets", "-o", "json")
    our_widgets = json.loads(riir("widgets", "-o", "json").stdout)
    their_classes = {row["class"] for row in their_widgets}
    assert [row for row in our_widgets if row["class"] in their_classes] == their_widgets
    assert any(row["connection_parameter_name"] == "extra__http__srv_lookup" for row in our_widgets)
    their_behaviours = airflow(tmp_path, "behaviours", "-o", "json")
    our_behaviours = json.loads(riir("behaviours", "-o", "json").stdout)
    assert [row for row in our_behaviours if row in their_behaviours] == their_behaviours


def test_get_unknown_provider_fails_with_its_name() -> None:
    result = riir("get", "apache-airflow-providers-nope")
    assert result.returncode == 1
    assert "apache-airflow-providers-nope" in result.stderr


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("apache-airflow", "is Apache Airflow itself"),
        ("apache-airflow-core==3.3.2", "is Apache Airflow itself"),
        ("requests", "is not a provider distribution"),
    ],
)
def test_install_refuses_what_is_not_a_provider(argument: str, message: str) -> None:
    result = riir("install", argument)
    assert result.returncode == 1
    assert message in result.stderr and argument.partition("=")[0] in result.stderr


def _wheel(tmp_path: Path, requires: list[str]) -> Path:
    """A real (tiny) provider wheel whose metadata declares `requires`."""
    path = tmp_path / "apache_airflow_providers_local_demo-1.0.0-py3-none-any.whl"
    dist_info = "apache_airflow_providers_local_demo-1.0.0.dist-info"
    metadata = "Metadata-Version: 2.1\nName: apache-airflow-providers-local-demo\nVersion: 1.0.0\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("airflow/providers/local_demo/__init__.py", "")
        archive.writestr(f"{dist_info}/METADATA", metadata)
        wheel_file = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        archive.writestr(f"{dist_info}/WHEEL", wheel_file)
        archive.writestr(f"{dist_info}/RECORD", "")
    return path


def test_install_plan_reads_the_wheel_metadata_and_skips_airflow(tmp_path: Path) -> None:
    wheel = _wheel(
        tmp_path,
        [
            "apache-airflow>=2.11.0",
            "apache-airflow-task-sdk>=1.0",
            "sqlparse>=0.5.1",
            "pandas>=2.1; extra == 'pandas'",
            "never-installed>=1; python_version < '3.0'",
        ],
    )
    plan = provider_install.plan([str(wheel)], tmp_path)
    assert plan.provider_wheels == {"apache-airflow-providers-local-demo": wheel}
    assert plan.skipped == {"apache-airflow", "apache-airflow-task-sdk"}
    # The provider's own requirement, plus the libraries Airflow core would have brought; no extras, no markers.
    assert "sqlparse>=0.5.1" in plan.requirements
    assert set(provider_install.AIRFLOW_CORE_LIBRARIES) <= set(plan.requirements)
    assert not any(r.startswith(("pandas", "never-installed", "apache-airflow")) for r in plan.requirements)
