"""Airflow 3.3.2's own example DAGs: where they are, which ones are run, and the documented allowances.

Shared by `reference.py` (real Airflow), `riir_run.py` (riir, in the project venv) and `check.py`. Plain data only:
no Airflow and no riir import, so every side can read it.

Every example file is loaded and its DAGs' STRUCTURE compared. RUN OUTCOMES are compared for every DAG except the
ones in NOT_RUN, each with the reason Airflow's own `dags test` does not give a repeatable result offline.
ALLOWED lists the differences that are known and owned by another branch: each entry names what differs, why, and
the issue/branch whose work removes it. Anything else that differs fails the check.
"""

from __future__ import annotations

import os
from pathlib import Path

AIRFLOW_VERSION = "3.3.2"
# Airflow's reference venv (compat-tests/airflow_env.py); the example DAGs are read from its site-packages.
VENV = Path(os.environ.get("RIIR_AIRFLOW_VENV", Path.home() / ".cache" / "riir-airflow" / f"airflow-{AIRFLOW_VERSION}"))
CACHE_DIR = Path(
    os.environ.get("RIIR_COMPAT_CACHE_EXAMPLES", Path.home() / ".cache" / "riir-airflow" / "compat" / "examples")
)
LOGICAL_DATE = "2024-03-05T00:00:00+00:00"  # a Tuesday (example_bash_decorator's `sleep_in` skips on weekdays)
# Bump when the way results are produced changes, so cached Airflow results are recomputed.
HARNESS_VERSION = "2"  # 2: a fresh database per DAG in a batch; the kubernetes provider in both venvs


def site_packages() -> Path:
    found = sorted((VENV / "lib").glob("python3*/site-packages"))
    if not found:
        raise SystemExit(f"no Airflow venv at {VENV}: run `python compat-tests/airflow_env.py` first")
    return found[-1]


def example_folders() -> dict[str, Path]:
    """Name -> folder of each example set: apache-airflow-core's and the standard provider's."""
    root = site_packages() / "airflow"
    return {"core": root / "example_dags", "standard": root / "providers" / "standard" / "example_dags"}


# Import names under which the example files import their own helpers (`from airflow.example_dags.plugins.workday
# import AfterWorkdayTimetable`): riir's side makes these packages resolve to the same folders.
EXAMPLE_PACKAGES = {"core": "airflow.example_dags", "standard": "airflow.providers.standard.example_dags"}

# Provider distributions of riir's provider matrix that change what the example files define: installed into
# Airflow's reference venv at the project venv's version, so both sides load the same DAGs
# (example_kubernetes_executor and example_local_kubernetes_executor define their DAG only where the `kubernetes`
# library, which cncf-kubernetes brings, is importable).
REFERENCE_PROVIDERS = ("apache-airflow-providers-cncf-kubernetes",)

NETWORK = "needs outside network"
RANDOM = "random values chosen at run time"
WALL_CLOCK = "outcome depends on the wall clock"
OTHER_RUN = "waits for a run of another DAG, which `dags test` never starts"
PERSON = "waits for a person to answer (human-in-the-loop)"
VENV_PIP = "builds a virtualenv with pip requirements (needs outside network)"

# dag_id -> why its run outcome is not compared (structure still is).
NOT_RUN: dict[str, str] = {
    "example_dag_decorator": f"{NETWORK}: GET httpbin.org",
    "tutorial_objectstorage": f"{NETWORK}: GET air-quality-api.open-meteo.com",
    "example_retry_policy": f"{NETWORK}: GET api.example.com, retried with 1-5 minute delays",
    "tutorial_taskflow_api_virtualenv": f"{VENV_PIP} (funcsigs)",
    "example_python_operator": f"{VENV_PIP} (colorama==0.4.0)",
    "example_python_decorator": f"{VENV_PIP} (colorama==0.4.0)",
    "example_branch_operator": f"{RANDOM} (random.choice of the branch); also {VENV_PIP}",
    "example_branch_python_operator_decorator": f"{RANDOM} (random.choice of the branch); also {VENV_PIP}",
    "example_asset_state_store_producer": f"{RANDOM} (random.randint rows) and datetime.now() in the XCom",
    "example_task_state_store": f"{RANDOM} (random.choices job id)",
    "example_task_state_store_mapped": f"{RANDOM} (random.randint row counts)",
    "example_branch_datetime_operator": f"{WALL_CLOCK} (BranchDateTimeOperator compares now, not the logical date)",
    "example_branch_datetime_operator_2": f"{WALL_CLOCK} (BranchDateTimeOperator compares now, not the logical date)",
    "example_weekday_branch_operator": f"{WALL_CLOCK} (BranchDayOfWeekOperator uses today's weekday)",
    "example_external_task": f"{OTHER_RUN} (deferrable ExternalTaskSensor on child_dag, 7-day timeout)",
    "example_external_task_marker_child": f"{OTHER_RUN} (ExternalTaskSensor on the parent, 600 s timeout)",
    "example_hitl_operator": PERSON,
    "example_sensors": f"{WALL_CLOCK} (TimeSensors aimed at parse time + 1 hour: the deferrable one waits that hour;"
    " FileSensor on a fixed /tmp path shared by every run)",
}

# (dag_id or file name) -> (what differs, why it is allowed). Only DAGs that Airflow itself runs non-deterministically
# may stay here, each with the evidence. A DAG listed here may differ in structure and run outcome; an entry whose DAG
# has become identical is reported as stale so the list only shrinks.
ALLOWED: dict[str, tuple[str, str]] = {}

# Operator classes whose `template_fields` Airflow builds from a set of strings (`tuple({...}.union(...))`): their
# order follows Python's string-hash seed, so it differs between any two Airflow processes (hash_order.py shows it
# under several PYTHONHASHSEEDs on every check). The structure comparison takes these fields as sets.
# class name in the structure facts -> where Airflow defines it
_PY = "airflow.providers.standard.operators.python"
_DEC = "airflow.providers.standard.decorators"
HASH_ORDERED_TEMPLATE_FIELDS: dict[str, str] = {
    "PythonVirtualenvOperator": f"{_PY}:PythonVirtualenvOperator",
    "BranchPythonVirtualenvOperator": f"{_PY}:BranchPythonVirtualenvOperator",
    "ExternalPythonOperator": f"{_PY}:ExternalPythonOperator",
    "BranchExternalPythonOperator": f"{_PY}:BranchExternalPythonOperator",
    "_PythonVirtualenvDecoratedOperator": f"{_DEC}.python_virtualenv:_PythonVirtualenvDecoratedOperator",
    "_BranchPythonVirtualenvDecoratedOperator": f"{_DEC}.branch_virtualenv:_BranchPythonVirtualenvDecoratedOperator",
    "_PythonExternalDecoratedOperator": f"{_DEC}.external_python:_PythonExternalDecoratedOperator",
    "_BranchExternalPythonDecoratedOperator": f"{_DEC}.branch_external_python:_BranchExternalPythonDecoratedOperator",
}


# Values that differ between any two runs of the same DAG, even two Airflow runs, replaced on both sides before the
# run outcomes are compared (each with the reason):
# - a manual run's id is `manual__<run_after>`, and `dags test` sets run_after to the wall clock; it shows up in
#   XComs and rendered fields (trigger_run_id, extra links, templates rendering `run_id`);
# - the dags folder is a fresh temporary directory on each side (example_bash_operator prints it);
# - example values read from the wall clock (below).
VOLATILE_PATTERNS = {
    r"manual__\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00": "manual__<run_after>",
    r"/tmp/examples-[a-z]+-[A-Za-z0-9_]+/home/dags": "$AIRFLOW_HOME/dags",
}
# (dag_id, task_id, XCom key) whose value is the wall clock at run time.
WALL_CLOCK_XCOMS = {("tutorial", "print_date", "return_value"): "the task runs `date`"}
