"""Run-level limits in the DAG app (PostgreSQL), as Airflow's scheduler applies them: dagrun_timeout fails the run
and skips its unfinished task instances (killing the running try, the failure callback told `timed_out`), and
max_consecutive_failed_dag_runs pauses the DAG with a `paused` event by the scheduler."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, start_app, task_states, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

TIMEOUT = """
import datetime as dt, os, time
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator

def told(context):
    with open(os.environ["CALLBACK_REPORT"], "a") as report:
        report.write(context["reason"] + "\\n")

with DAG("timeout", schedule=None, dagrun_timeout=dt.timedelta(seconds=3), on_failure_callback=told):
    done = EmptyOperator(task_id="done")
    slow = PythonOperator(task_id="slow", python_callable=lambda: time.sleep(120))
    after = EmptyOperator(task_id="after")
    done >> slow >> after
"""

FLAKY = """
from airflow.sdk import DAG, task

with DAG("flaky", schedule=None, max_consecutive_failed_dag_runs=2):
    @task
    def fail():
        raise ValueError("always")
    fail()
"""


async def test_dagrun_timeout_fails_the_run_and_skips_what_is_unfinished(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    report = tmp_path / "callbacks"
    env = {**app_env, "CALLBACK_REPORT": str(report)}
    app = await start_app(env, db, write_dag(dags, "timeout.py", TIMEOUT), tmp_path / "timeout.log")
    try:
        cli(app_env, "dags", "trigger", "timeout", "-r", "r1")
        assert await wait_run_done(db, "timeout", "r1", timeout=120) == "failed", app.output()
        states = await task_states(db, "timeout", "r1")
        assert {t: s for t, (s, _) in states.items()} == {"done": "success", "slow": "skipped", "after": "skipped"}
        await wait_for(lambda: _exists(report), 60, "the failure callback")
        # The running try was killed (it would sleep for two minutes).
        pid = await db.fetchval("SELECT pid FROM task_instance WHERE dag_id = 'timeout' AND task_id = 'slow'")
        assert pid
        await wait_for(lambda: _gone(pid), 60, "the timed-out try's process to end")
    finally:
        app.stop()
    assert report.read_text().split() == ["timed_out"]


async def _exists(path: Path) -> bool:
    return path.exists() and path.read_text().strip() != ""


async def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_max_consecutive_failed_dag_runs_pauses_the_dag(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    app = await start_app(app_env, db, write_dag(dags, "flaky.py", FLAKY), tmp_path / "flaky.log")
    try:
        cli(app_env, "dags", "trigger", "flaky", "-r", "r1")
        assert await wait_run_done(db, "flaky", "r1") == "failed"
        assert await db.fetchval("SELECT is_paused FROM dag WHERE dag_id = 'flaky'") is False  # one failure so far
        cli(app_env, "dags", "trigger", "flaky", "-r", "r2")
        assert await wait_run_done(db, "flaky", "r2") == "failed"
        await wait_for(lambda: db.fetchval("SELECT is_paused FROM dag WHERE dag_id = 'flaky'"), 30, "the pause")
    finally:
        app.stop()
    event = await db.fetchrow("SELECT owner, extra FROM event WHERE dag_id = 'flaky' AND event = 'paused'")
    assert event is not None and event["owner"] == "scheduler"
    assert "('is_paused', True)" in event["extra"]
    assert "Pausing DAG flaky because last 2 DAG runs failed." in app.output()
