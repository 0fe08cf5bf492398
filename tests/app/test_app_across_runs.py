"""Semantics across runs in the DAG app (PostgreSQL): depends_on_past / wait_for_downstream order the runs of a
catchup, the prev_*_success context values, and xcom_pull of earlier runs and of another DAG served by another app
(allowed by its role's grant, refused when the grant leaves that DAG out)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, start_app, task_states, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

CATCHUP = """
import datetime as dt, time
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator

def first(ti, logical_date):
    # The latest earlier value: this run has pushed nothing yet, and wait_for_downstream orders the runs.
    return {"day": logical_date.day, "before": ti.xcom_pull(task_ids="a", include_prior_dates=True, map_indexes=-1)}

def look(**context):
    context["ti"].xcom_push(key="day", value={"day": context["logical_date"].day})
    start = context["prev_data_interval_start_success"]
    return {"prev_start": None if start is None else start.isoformat(),
            "has_prev_run_dates": context["prev_start_date_success"] is not None
                and context["prev_end_date_success"] is not None}

with DAG("xrun", schedule="@daily", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
         end_date=dt.datetime(2024, 1, 3, tzinfo=dt.timezone.utc), catchup=True, max_active_runs=3):
    a = PythonOperator(task_id="a", python_callable=first, wait_for_downstream=True)
    b = PythonOperator(task_id="b", python_callable=lambda: time.sleep(0.5))
    c = PythonOperator(task_id="look", python_callable=look, depends_on_past=True)
    a >> b >> c
"""

READER = """
from airflow.sdk import DAG, task

with DAG("xrun_reader", schedule=None):
    @task
    def read(ti=None):
        run = "scheduled__2024-01-02T00:00:00+00:00"
        return {"one": ti.xcom_pull(dag_id="xrun", task_ids="a", run_id=run),
                "prior_days": [v["day"] for v in ti.xcom_pull(dag_id="xrun", task_ids="look", run_id=run,
                                                               include_prior_dates=True, key="day")]}
    read()
"""


def run_id(day: int) -> str:
    return f"scheduled__2024-01-0{day}T00:00:00+00:00"


async def _xcom(db: asyncpg.Connection, dag_id: str, run: str, task_id: str) -> object:
    return await db.fetchval(
        "SELECT value FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND key = 'return_value'",
        dag_id, run, task_id,
    )  # fmt: skip


async def test_catchup_runs_wait_for_the_past_and_read_it(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    import json

    await db.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    app = await start_app(app_env, db, write_dag(dags, "xrun.py", CATCHUP), tmp_path / "xrun.log")
    try:
        for day in (1, 2, 3):
            assert await wait_run_done(db, "xrun", run_id(day), timeout=120) == "success", app.output()
        reader_uri = cli(app_env, "db", "grant-app", "xrun_reader").stdout.strip()
        reader_env = {**app_env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": reader_uri}
        reader = await start_app(reader_env, db, write_dag(dags, "reader.py", READER), tmp_path / "reader.log")
        try:
            cli(app_env, "dags", "trigger", "xrun_reader", "-r", "allowed")
            assert await wait_run_done(db, "xrun_reader", "allowed") == "success", reader.output()
        finally:
            reader.stop()
        # The same app role, its grant now leaving xrun out: the read is refused, and says why.
        refused_uri = cli(app_env, "db", "grant-app", "xrun_reader", "--read-xcom-dags", "none").stdout.strip()
        refused_env = {**app_env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": refused_uri}
        reader = await start_app(refused_env, db, dags / "reader.py", tmp_path / "refused.log")
        try:
            cli(app_env, "dags", "trigger", "xrun_reader", "-r", "refused")
            assert await wait_run_done(db, "xrun_reader", "refused") == "failed"
        finally:
            reader.stop()
    finally:
        app.stop()
    # wait_for_downstream: a run's `a` started after the previous run's `a` and `b` ended.
    rows = await db.fetch(
        "SELECT run_id, task_id, start_date, end_date FROM task_instance WHERE dag_id = 'xrun' ORDER BY run_id"
    )
    times = {(r["run_id"], r["task_id"]): (r["start_date"], r["end_date"]) for r in rows}
    for day in (2, 3):
        assert times[(run_id(day), "a")][0] >= times[(run_id(day - 1), "b")][1]
        assert times[(run_id(day), "look")][0] >= times[(run_id(day - 1), "look")][1]
    assert [await _xcom(db, "xrun", run_id(day), "a") for day in (1, 2, 3)] == [
        {"day": 1, "before": None},
        {"day": 2, "before": {"day": 1, "before": None}},
        {"day": 3, "before": {"day": 2, "before": {"day": 1, "before": None}}},
    ]
    looks = [await _xcom(db, "xrun", run_id(day), "look") for day in (1, 2, 3)]
    assert looks == [
        {"prev_start": None, "has_prev_run_dates": False},
        {"prev_start": "2024-01-01T00:00:00+00:00", "has_prev_run_dates": True},
        {"prev_start": "2024-01-02T00:00:00+00:00", "has_prev_run_dates": True},
    ]
    # All map indexes of the runs up to the named one, the earliest run first (as Airflow returns them).
    assert await _xcom(db, "xrun_reader", "allowed", "read") == {
        "one": {"day": 2, "before": {"day": 1, "before": None}},
        "prior_days": [1, 2],
    }
    assert (await task_states(db, "xrun_reader", "refused"))["read"][0] == "failed"
    log = await db.fetchval(
        "SELECT string_agg(line, chr(10) ORDER BY id) FROM task_log WHERE dag_id = 'xrun_reader' AND run_id = 'refused'"
    )
    assert "may not read the XComs of DAG xrun" in log
