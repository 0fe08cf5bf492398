"""Several `dags test` runs sharing one store, run by real Airflow 3.3.2 (`dag.test()` in one process: its runs share
its metadata database) and by riir (`run_dag_locally` with one `RunHistory`): what tasks see of earlier runs.

Usage: python scenario.py airflow|riir OUT.json   (Airflow's side needs AIRFLOW_HOME with a migrated database; riir's
side runs with RIIR_AIRFLOW_COMPAT=1 so that `airflow.*` imports resolve to riir.)

Covered: the `prev_*_success` context values, `xcom_pull` with `include_prior_dates` (one map index and all of
them), with another `dag_id` and `run_id`, and `depends_on_past` / `wait_for_downstream` / a skipped previous
instance where nothing is held back (Airflow's `dags test` waits for ever on a task that is held back).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Any

if os.environ.get("RIIR_AIRFLOW_COMPAT"):  # riir's side: `airflow.*` imports resolve to riir
    from riir_airflow import compat

    compat.install()

from airflow.exceptions import AirflowSkipException
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

DAYS = [dt.datetime(2024, 1, d, tzinfo=dt.UTC) for d in (1, 2, 3)]


def _iso(value: Any) -> Any:
    # Airflow's values are lazy proxies: `is None` is never true of them, `== None` is.
    return None if value == None else value.isoformat()  # noqa: E711


def look(**context: Any) -> int:
    day = context["logical_date"].day
    ti = context["ti"]
    seen = {
        "prev_data_interval_start_success": _iso(context["prev_data_interval_start_success"]),
        "prev_data_interval_end_success": _iso(context["prev_data_interval_end_success"]),
        "has_prev_start_date_success": context["prev_start_date_success"] != None,  # noqa: E711
        "has_prev_end_date_success": context["prev_end_date_success"] != None,  # noqa: E711
        "prior_one": ti.xcom_pull(task_ids="make", include_prior_dates=True, map_indexes=-1),
        "prior_all": ti.xcom_pull(task_ids="make", include_prior_dates=True),
        "other_dag": ti.xcom_pull(task_ids="emit", dag_id="xrun_producer", run_id=PRODUCER_RUN[0]),
        "other_run": ti.xcom_pull(task_ids="make", run_id=FIRST_RUN[0]) if FIRST_RUN else None,
        "missing_run": ti.xcom_pull(task_ids="make", run_id="no_such_run", default="dflt"),
    }
    # Appended to a file: the task may run in another module object (or process) than main()'s.
    with open(os.environ["XRUN_SEEN"], "a") as handle:
        handle.write(json.dumps({f"look_{day}": seen}) + "\n")
    if day == 2:
        raise ValueError("the second run fails, so it is no previous success")
    return day


def make(**context: Any) -> int:
    return int(context["logical_date"].day) * 10


def skip() -> None:
    raise AirflowSkipException("skipped each time")


with DAG("xrun_producer", schedule="@daily", start_date=DAYS[0], catchup=False) as producer:
    PythonOperator(task_id="emit", python_callable=lambda: "from the producer")

with DAG("xrun_consumer", schedule="@daily", start_date=DAYS[0], catchup=False) as consumer:
    made = PythonOperator(task_id="make", python_callable=make)
    looked = PythonOperator(task_id="look", python_callable=look)
    made >> looked
    PythonOperator(task_id="skipper", python_callable=skip, depends_on_past=True)
    PythonOperator(task_id="careful", python_callable=make, wait_for_downstream=True)

PRODUCER_RUN: list[str] = []
FIRST_RUN: list[str] = []


def main(side: str, out: str) -> None:
    """Runs the producer once, then the consumer for three days, in this process (the file is also the DAG file
    Airflow parses, so nothing runs on import)."""
    history: Any = None
    if side == "riir":
        from riir_airflow.engine.records import RunHistory

        history = RunHistory()

    def run(dag: Any, day: dt.datetime) -> Any:
        if side == "airflow":
            return dag.test(logical_date=day)
        from riir_airflow.runtime.local import run_dag_locally

        return run_dag_locally(dag, logical_date=day, history=history).run

    PRODUCER_RUN.append(run(producer, DAYS[0]).run_id)
    states = {}
    for day in DAYS:
        dag_run = run(consumer, day)
        if not FIRST_RUN:
            FIRST_RUN.append(dag_run.run_id)
        states[day.day] = str(getattr(dag_run.state, "value", dag_run.state))
    seen: dict[str, Any] = {}
    with open(os.environ["XRUN_SEEN"]) as lines:
        for line in lines:
            seen.update(json.loads(line))
    with open(out, "w") as handle:
        json.dump({"run_states": states, "seen": seen}, handle, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
