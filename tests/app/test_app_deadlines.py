"""Deadline alerts in the DAG app (PostgreSQL): the callback of a run that is still going when its deadline falls
fires once, with Airflow's kwargs and context; a run that succeeded before its deadline fires nothing."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, start_app, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

CALLBACKS = """
import json, os

async def late(tag, context=None):
    with open(os.environ["DEADLINE_REPORT"], "a") as report:
        report.write(json.dumps({"tag": tag, "run_id": context["dag_run"]["dag_run_id"],
                                 "has_time": context["deadline"]["deadline_time"] is not None}) + "\\n")

def late_sync(tag):
    with open(os.environ["DEADLINE_REPORT"], "a") as report:
        report.write(json.dumps({"tag": tag}) + "\\n")
"""

DAG_FILE = """
import datetime as dt, time
from airflow.sdk import DAG, AsyncCallback, DeadlineAlert, DeadlineReference, SyncCallback
from airflow.providers.standard.operators.python import PythonOperator
from dl_callbacks import late, late_sync

with DAG("deadlines", schedule=None, deadline=[
    DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=dt.timedelta(seconds=2),
                  callback=AsyncCallback(late, kwargs={"tag": "async"})),
    DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=dt.timedelta(seconds=2),
                  callback=SyncCallback(late_sync, kwargs={"tag": "sync"})),
]):
    PythonOperator(task_id="work", python_callable=lambda params: time.sleep(params["sleep"]), params={"sleep": 0})
"""


async def test_deadline_callbacks_fire_for_a_late_run_only(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    write_dag(dags, "dl_callbacks.py", CALLBACKS)
    env = {**app_env, "DEADLINE_REPORT": str(report)}
    app = await start_app(env, db, write_dag(dags, "deadlines.py", DAG_FILE), tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "deadlines", "-r", "quick")
        assert await wait_run_done(db, "deadlines", "quick") == "success", app.output()
        cli(app_env, "dags", "trigger", "deadlines", "-r", "late", "--conf", json.dumps({"sleep": 8}))
        await wait_for(lambda: _lines(report, 2), 60, "the deadline callbacks")
        assert await wait_run_done(db, "deadlines", "late") == "success"
    finally:
        app.stop()
    fired = sorted((json.loads(line) for line in report.read_text().splitlines()), key=lambda r: r["tag"])
    assert fired == [{"tag": "async", "run_id": "late", "has_time": True}, {"tag": "sync"}], app.output()
    rows = await db.fetch("SELECT run_id, missed FROM deadline WHERE dag_id = 'deadlines' ORDER BY run_id, alert_index")
    assert [(r["run_id"], r["missed"]) for r in rows] == [("late", True), ("late", True)]  # quick's were pruned


async def _lines(path: Path, n: int) -> bool:
    return path.exists() and len(path.read_text().splitlines()) >= n
