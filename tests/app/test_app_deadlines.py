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


CUSTOM_REFERENCE_DAG = """
import datetime as dt, time
from dataclasses import dataclass
from airflow.sdk import DAG, DeadlineAlert, DeadlineReference, SyncCallback
from airflow.sdk.definitions.deadline import BaseDeadlineReference, deadline_reference
from airflow.providers.standard.operators.python import PythonOperator
from dl_callbacks import late_sync


@deadline_reference
@dataclass
class SecondsAfterNow(BaseDeadlineReference):
    \"\"\"A custom reference (Airflow 3.3): evaluated in the DAG app when a run is created.\"\"\"

    required_kwargs = {"run_id"}

    def _evaluate_with(self, *, session, run_id, **kwargs):
        assert session is None  # no ORM session in riir
        with open(__import__("os").environ["DEADLINE_REPORT"], "a") as report:
            report.write('{"evaluated_for": "%s"}\\n' % run_id)
        return dt.datetime.now(dt.timezone.utc)


with DAG("custom_deadline", schedule=None, deadline=[
    DeadlineAlert(reference=DeadlineReference.SecondsAfterNow, interval=dt.timedelta(seconds=2),
                  callback=SyncCallback(late_sync, kwargs={"tag": "custom"})),
]):
    PythonOperator(task_id="work", python_callable=lambda: time.sleep(6))
"""


async def test_a_custom_deadline_reference_is_evaluated_in_the_app(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    write_dag(dags, "dl_callbacks.py", CALLBACKS)
    env = {**app_env, "DEADLINE_REPORT": str(report)}
    app = await start_app(env, db, write_dag(dags, "custom_deadline.py", CUSTOM_REFERENCE_DAG), tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "custom_deadline", "-r", "slow")
        await wait_for(lambda: _lines(report, 2), 60, "the custom reference and its callback")
        assert await wait_run_done(db, "custom_deadline", "slow") == "success"
    finally:
        app.stop()
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert {"evaluated_for": "slow"} in lines and {"tag": "custom"} in lines, app.output()
