"""`riir-airflow dags validate FILE... --values values.yaml` as CI runs it: real CLI processes on real DAG files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

ETL = """
    from airflow.sdk import DAG, BaseOperator, Variable, task
    from airflow.providers.standard.operators.bash import BashOperator

    class LoadOperator(BaseOperator):
        def __init__(self, *, warehouse_conn_id, **kwargs):
            super().__init__(**kwargs)
            self.warehouse_conn_id = warehouse_conn_id

        def execute(self, context):
            return self.warehouse_conn_id

    with DAG("etl", schedule="@daily"):
        @task(pool="warehouse", executor_config={"image": "registry.example.com/etl:1.2", "secrets": ["ssh-key"]})
        def extract():
            return [1, 2]

        @task
        def templated(conn_id="{{ params.conn }}"):
            return conn_id, Variable.get("api_key")

        BashOperator(task_id="report", bash_command="echo {{ var.value.schema }} {{ var.json.limits.max }}")

        load = LoadOperator(task_id="load", warehouse_conn_id="warehouse")
        mapped = LoadOperator.partial(task_id="mapped", warehouse_conn_id="s3").expand(pool=["default_pool"])
        extract() >> load >> mapped
        templated()
"""

DECLARED: dict[str, Any] = {
    "pools": [{"name": "warehouse", "slots": 2}],
    "connections": [{"id": "warehouse", "secretName": "wh"}, {"id": "s3", "secretName": "s3"}],
    "dags": [{"name": "etl", "file": "/opt/airflow/dags/etl.py",
              "image": {"repository": "registry.example.com/etl", "tag": "1.2"},
              "secrets": ["ssh-key"], "connections": ["warehouse", "s3"], "variables": ["api_key", "schema"]}],
}  # fmt: skip


def validate(tmp_path: Path, files: list[Path], values: dict[str, Any] | None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "riir_airflow", "dags", "validate", *map(str, files)]
    if values is not None:
        (tmp_path / "values.yaml").write_text(yaml.safe_dump(values))
        args += ["--values", str(tmp_path / "values.yaml")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(RIIR_AIRFLOW_COMPAT="1", AIRFLOW_HOME=str(tmp_path / "home"))
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=60, check=False)


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def test_everything_declared_passes(tmp_path: Path) -> None:
    etl = write(tmp_path, "etl.py", ETL)
    result = validate(tmp_path, [etl], DECLARED)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"1 file(s), 1 DAG(s) valid against {tmp_path / 'values.yaml'}"
    assert result.stderr == ""


def test_each_missing_reference_is_one_clear_line(tmp_path: Path) -> None:
    etl = write(tmp_path, "etl.py", ETL)
    values = yaml.safe_load(yaml.safe_dump(DECLARED))
    values["pools"] = []  # pool missing
    values["connections"] = [{"id": "warehouse", "secretName": "wh"}]  # s3 missing at the top level
    entry = values["dags"][0]
    entry["image"]["tag"] = "1.1"  # the task asks for another image
    entry["secrets"] = []  # secret missing
    entry["connections"] = ["s3"]  # warehouse not given to this DAG
    result = validate(tmp_path, [etl], values)
    assert result.returncode == 1
    path = tmp_path / "values.yaml"
    assert result.stderr.splitlines() == [
        f"{etl}: pool 'warehouse' (task 'extract' of DAG 'etl'): not declared in {path} pools",
        f"{etl}: image 'registry.example.com/etl:1.2' (task 'extract' of DAG 'etl'): not declared in dags entry "
        "'etl' (its image is registry.example.com/etl:1.1)",
        f"{etl}: secret 'ssh-key' (task 'extract' of DAG 'etl'): not declared in the secrets of dags entry 'etl'",
        f"{etl}: connection 'warehouse' (task 'load' of DAG 'etl'): not declared in the connections of dags entry "
        "'etl'",
        f"{etl}: connection 's3' (task 'mapped' of DAG 'etl'): not declared in {path} connections",
        "5 problem(s) in 1 file(s)",
    ]
    assert result.stdout == ""


def test_variables_are_checked_once_the_values_declare_them(tmp_path: Path) -> None:
    etl = write(tmp_path, "etl.py", ETL)
    # No top-level `variables`: they may live in the metastore, so nothing is checked.
    assert validate(tmp_path, [etl], DECLARED).returncode == 0
    values = yaml.safe_load(yaml.safe_dump(DECLARED))
    values["variables"] = [{"key": "schema", "secretName": "s"}, {"key": "api_key", "secretName": "k"}]
    result = validate(tmp_path, [etl], values)
    path = tmp_path / "values.yaml"
    assert result.stderr.splitlines() == [
        f"{etl}: variable 'limits' (task 'report' of DAG 'etl'): not declared in {path} variables",
        f"{etl}: variable 'limits' (task 'report' of DAG 'etl'): not declared in the variables of dags entry 'etl'",
        "2 problem(s) in 1 file(s)",
    ]
    values["variables"].append({"key": "limits", "secretName": "l"})
    values["dags"][0]["variables"] = ["limits", "schema"]  # api_key (read in templated()'s code) not given
    result = validate(tmp_path, [etl], values)
    assert result.stderr.splitlines() == [
        f"{etl}: variable 'api_key' (task 'templated' of DAG 'etl'): not declared in the variables of dags entry 'etl'",
        "1 problem(s) in 1 file(s)",
    ]


def test_cycles_bad_schedules_broken_files_and_undeployed_dags(tmp_path: Path) -> None:
    cycle = write(tmp_path, "cycle.py", """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("cycle", schedule=None):
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            a >> b >> a
    """)  # fmt: skip
    schedule = write(tmp_path, "schedule.py", """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("schedule", schedule="61 * * * *"):
            EmptyOperator(task_id="a")
    """)  # fmt: skip
    broken = write(tmp_path, "broken.py", "from airflow.sdk import DAG\nimport no_such_module\n")
    other = write(tmp_path, "other.py", """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("other", schedule=None):
            EmptyOperator(task_id="a")
    """)  # fmt: skip
    result = validate(tmp_path, [cycle, schedule, broken, other], DECLARED)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{cycle}: cycle 'cycle.py': AirflowDagCycleException: Cycle detected in Dag: cycle")
    assert lines[1].startswith(f"{schedule}: schedule 'schedule.py': AirflowTimetableInvalid: Invalid cron expression")
    assert lines[2] == f"{broken}: import_error 'broken.py': ModuleNotFoundError: No module named 'no_such_module'"
    assert (
        lines[3] == f"{other}: dag 'other' (DAG 'other'): not deployed: no entry in dags of {tmp_path / 'values.yaml'}"
    )
    assert lines[4] == "4 problem(s) in 4 file(s)"
    # Without --values only loading is checked: the same cycle still fails, the undeployed DAG passes.
    assert validate(tmp_path, [other], None).returncode == 0
    assert validate(tmp_path, [cycle], None).returncode == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("dags: [{file: x.py}]", "dags[0] has no name"),
        ("pools: {warehouse: 2}", "pools must be a list of mappings"),
        ("dags: [", "not valid YAML"),
    ],
)
def test_bad_values_file_is_named(tmp_path: Path, content: str, message: str) -> None:
    etl = write(tmp_path, "etl.py", ETL)
    (tmp_path / "bad.yaml").write_text(content)
    args = [sys.executable, "-m", "riir_airflow", "dags", "validate", str(etl), "--values", str(tmp_path / "bad.yaml")]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False,
                            env={**os.environ, "RIIR_AIRFLOW_COMPAT": "1"})  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'bad.yaml'}: ") and message in result.stderr


def test_pre_commit_hook_runs_the_command() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "riir-airflow-dags-validate"
    assert hook["entry"].endswith("riir-airflow dags validate")
    assert hook["language"] == "python" and hook["types"] == ["python"]
    assert "pre-push" in hook["stages"]
