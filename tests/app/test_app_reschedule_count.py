"""`task_reschedule_count` in the DAG app: the reschedules of the current try, from `task_reschedule`; a retry
starts again from 0, as Airflow's prepare_db_for_next_try drops the failed try's reschedules."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, start_app, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

SENSOR = """
import datetime as dt, json, os
from airflow.sdk import DAG
from airflow.providers.standard.sensors.python import PythonSensor

def poke(**context):
    ti = context["ti"]
    with open(os.environ["POKE_REPORT"], "a") as report:
        report.write(json.dumps([ti.try_number, context["task_reschedule_count"]]) + "\\n")
    with open(os.environ["POKE_REPORT"]) as report:
        pokes = len(report.readlines())
    if ti.try_number == 1 and pokes == 3:
        raise ValueError("the first try fails after two reschedules")
    return ti.try_number == 2 and context["task_reschedule_count"] >= 1

with DAG("reschedules", schedule=None):
    PythonSensor(task_id="wait", python_callable=poke, mode="reschedule", poke_interval=0.1, retries=1,
                 retry_delay=dt.timedelta(0))
"""


async def test_task_reschedule_count_restarts_with_each_try(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    report = tmp_path / "pokes"
    env = {**app_env, "POKE_REPORT": str(report)}
    app = await start_app(env, db, write_dag(dags, "reschedules.py", SENSOR), tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "reschedules", "-r", "r1")
        assert await wait_run_done(db, "reschedules", "r1", timeout=120) == "success", app.output()
    finally:
        app.stop()
    pokes = [json.loads(line) for line in report.read_text().splitlines()]
    assert pokes == [[1, 0], [1, 1], [1, 2], [2, 0], [2, 1]]
