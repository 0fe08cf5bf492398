"""Empty tasks under the app, as Airflow's scheduler treats them (DagRun.schedule_tis): an EmptyOperator (or a
subclass such as ExternalTaskMarker) without on_execute / on_success callbacks, inlets or outlets is marked success
without running (no process, try 1, duration 0, no extra-link XCom); one with a success callback runs."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, start_app, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(180)]

EMPTIES = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.sensors.external_task import ExternalTaskMarker

with DAG("empties", schedule=None, is_paused_upon_creation=False):
    plain = EmptyOperator(task_id="plain")
    marker = ExternalTaskMarker(task_id="marker", external_dag_id="other", external_task_id="t")
    called = EmptyOperator(task_id="called", on_success_callback=lambda context: None)
    plain >> marker >> called
"""


async def test_empty_tasks_are_marked_success_without_running(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    app = await start_app(app_env, db, write_dag(dags, "empties.py", EMPTIES), tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "empties", "-r", "r1")
        assert await wait_run_done(db, "empties", "r1", timeout=60) == "success", app.output()
    finally:
        app.stop()
    rows = await db.fetch("SELECT task_id, state, try_number, pid, duration FROM task_instance WHERE run_id = 'r1'")
    tis = {r["task_id"]: r for r in rows}
    for empty in ("plain", "marker"):
        assert (tis[empty]["state"], tis[empty]["try_number"], tis[empty]["pid"]) == ("success", 1, None)
        assert tis[empty]["duration"] == 0
    assert (tis["called"]["state"], tis["called"]["try_number"]) == ("success", 1)
    assert tis["called"]["pid"], "a task with a success callback runs in its own process"
    links = await db.fetchval("SELECT count(*) FROM xcom WHERE run_id = 'r1' AND task_id = 'marker'")
    assert links == 0
