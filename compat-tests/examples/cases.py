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
HARNESS_VERSION = "1"


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

# Branch names of the helpers working on issue 13 in parallel.
PROVIDERS = "issue 13, branch `providers` (airflow.providers.* from installed provider distributions)"
AUTHORING = "issue 13, branch `authoring-surface`"

# (dag_id or file name) -> (what differs, owner). A DAG listed here may differ in structure and run outcome; an entry
# whose DAG has become identical is reported as stale so the list only shrinks.
_PARTITIONS = "partitioned assets (partition mappers, partitioned schedules) are not built yet"
_RUNTIME_ASSETS = "runtime asset features (inlet_events, outlet_events, Metadata, asset_state_store) are not built yet"
_VENV = "virtualenv / external-python tasks are not built yet (fewer template_fields, or not loadable)"
_COMMON_COMPAT = "imports airflow.providers.common.compat.sdk, which needs the common-compat provider distribution"
_EXECUTION_TIME = "imports airflow.sdk.execution_time.context (NEVER_EXPIRE), an internal module providers use too"
_KUBERNETES_ONLY_HERE = "the kubernetes library is only in riir's test venv"
ALLOWED: dict[str, tuple[str, str]] = {
    # Whole files (their import error and every DAG in them).
    "business_day_window.py": (_PARTITIONS + " (airflow.partition_mappers)", AUTHORING),
    "custom_partition_mapper.py": (_PARTITIONS + " (airflow.partition_mappers)", AUTHORING),
    "tutorial_objectstorage.py": ("ObjectStoragePath is not built yet", AUTHORING),
    "example_python_decorator.py": (_VENV, AUTHORING),
    "example_python_operator.py": (_VENV, AUTHORING),
    "tutorial_taskflow_api_virtualenv.py": (_VENV, AUTHORING),
    "example_branch_operator.py": (f"{_COMMON_COMPAT}; also {_VENV}", f"{PROVIDERS} and {AUTHORING}"),
    "example_branch_operator_decorator.py": (f"{_COMMON_COMPAT}; also {_VENV}", f"{PROVIDERS} and {AUTHORING}"),
    "example_bash_decorator.py": (_COMMON_COMPAT, PROVIDERS),
    "example_task_state_store.py": (_EXECUTION_TIME, PROVIDERS),
    "example_task_state_store_async.py": (_EXECUTION_TIME, PROVIDERS),
    # Single DAGs whose run differs.
    "asset2_producer": (_RUNTIME_ASSETS + ": inlet_events[asset] raises KeyError", AUTHORING),
    # Not a riir difference: the cncf-kubernetes provider of the provider matrix installs the `kubernetes` library
    # into riir's test venv, while Airflow's reference venv has no kubernetes, so there the file defines no DAG.
    "example_kubernetes_executor": (_KUBERNETES_ONLY_HERE, "compat-tests set-up"),
    "example_local_kubernetes_executor": (_KUBERNETES_ONLY_HERE, "compat-tests set-up"),
    "read_asset_event": (
        "Airflow's run fails and riir's succeeds: `inlet_events[asset][:-2]` with no events yet is an empty list in "
        "riir; why Airflow's accessor fails there is not pinned down yet",
        AUTHORING,
    ),
    "example_asset_state_store_consumer": (_RUNTIME_ASSETS + ": asset_state_store is None", AUTHORING),
    "read_asset_event_from_classic": (
        _RUNTIME_ASSETS + ": `inlet_events.for_asset(...)` in a template does not render",
        AUTHORING,
    ),
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
