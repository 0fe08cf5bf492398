"""Every example DAG runs: in-process with `dags test` (no database), each checked for what its docstring says
it shows; and the demo end to end (standalone, real apps, the README's `make demo` path)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.app.harness import env_for

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "dags"
FILES = sorted(EXAMPLES.glob("*.py"))
NO_DB = ""  # no database configured (and none embedded running): `dags test` needs none

Results = dict[str, Any]


def states(results: Results) -> dict[str, str]:
    return {f"{t['task_id']}[{t['map_index']}]" if t["map_index"] >= 0 else t["task_id"]: t["state"]
            for t in results["task_instances"]}  # fmt: skip


def xcom(results: Results, task_id: str, key: str = "return_value") -> Any:
    values = [x["value"] for x in results["xcoms"] if x["task_id"] == task_id and x["key"] == key]
    return values[0] if values else None


def tries(results: Results, task_id: str) -> int:
    return next(int(t["try_number"]) for t in results["task_instances"] if t["task_id"] == task_id)


# What each example shows, checked on its finished run.
CHECKS: dict[str, Callable[[Results], object]] = {
    "example_etl": lambda r: xcom(r, "load") == 55,
    "example_taskflow": lambda r: xcom(r, "total") == 4.5 and xcom(r, "report_apples") == "apples: 3.0",
    "example_classic_operators": lambda r: xcom(r, "count_words") == 4 and states(r)["check"] == "success",
    "example_branching": lambda r: states(r)["small"] == "skipped" and states(r)["join"] == "success",
    "example_mapping_files": lambda r: (
        sum(k.startswith("count_lines[") for k in states(r)) == 3 and xcom(r, "total") == 6
    ),
    "example_sensors": lambda r: all(s == "success" for s in states(r).values()),
    "example_task_groups": lambda r: (
        {"process.clean.strip", "process.clean.dedupe", "publish.upload"} <= set(states(r))
    ),
    "example_params_form": lambda r: xcom(r, "greet") == ["hello world", "hello world"],
    "example_asset_producer": lambda r: xcom(r, "export_sales") == 42,
    "example_asset_consumer": lambda r: xcom(r, "load_sales") == "loaded",
    "example_catchup_monthly": lambda r: states(r)["month_report"] == "success",
    "example_catchup_daily": lambda r: states(r)["day_report"] == "success",
    "example_setup_teardown": lambda r: xcom(r, "work") == 3 and states(r)["remove_workspace"] == "success",
    "example_custom_provider": lambda r: isinstance(xcom(r, "count_events"), int) and xcom(r, "count_events") >= 1,
    "example_retries": lambda r: tries(r, "flaky") == 2 and xcom(r, "flaky") == 2,
}


def example_dag_ids() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "dags", "list", "-S", str(EXAMPLES), "-o", "json"],
        env=env_for(NO_DB, Path("/tmp")), capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return sorted(d["dag_id"] for d in json.loads(result.stdout))


def test_every_example_is_checked_and_documented() -> None:
    assert example_dag_ids() == sorted(CHECKS)
    for path in FILES:
        assert ast.get_docstring(ast.parse(path.read_text())), f"{path.name} has no docstring saying what it shows"


@pytest.mark.parametrize("dag_id", sorted(CHECKS))
def test_example_runs_with_dags_test(dag_id: str, tmp_path: Path) -> None:
    env = env_for(NO_DB, tmp_path)
    saved = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "dags", "test", dag_id, "2024-01-03", "-S", str(EXAMPLES),
         "--save-results", str(saved)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "finished: success" in result.stdout
    results = json.loads(saved.read_text())
    assert CHECKS[dag_id](results), json.dumps(results, indent=1)[:4000]


@pytest.mark.postgres
@pytest.mark.e2e
@pytest.mark.timeout(240)
async def test_demo_runs_the_example_end_to_end(pg_dsn: str, tmp_path: Path) -> None:
    env = env_for(pg_dsn, tmp_path / "home")
    result = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "standalone", "--dags", str(EXAMPLES), "--demo", "--no-broker"],
        env=env, capture_output=True, text=True, timeout=230, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "success" in result.stdout and "load returned 91" in result.stdout
