"""A paused DAG under the app, as under Airflow's scheduler (which queues no task instance of a paused DAG): the try
that was running when the DAG was paused finishes, nothing after it starts until the DAG is unpaused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, start_app, task_states, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(180)]

CHAIN = """
import time
from airflow.sdk import DAG, task

with DAG("paused_chain", schedule=None, is_paused_upon_creation=False):
    @task
    def first():
        time.sleep(4)

    @task
    def second():
        pass

    first() >> second()
"""


async def test_paused_dag_starts_no_task_of_its_running_run(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    app = await start_app(app_env, db, write_dag(dags, "paused_chain.py", CHAIN), tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "paused_chain", "-r", "r1")
        await wait_for(lambda: _state(db, "first"), 60, "`first` running")
        cli(app_env, "dags", "pause", "paused_chain")
        await wait_for(lambda: _finished(db, "first"), 60, "`first` to finish while paused")
        await asyncio.sleep(3)  # many loop turns: `second` would have started by now
        states = await task_states(db, "paused_chain", "r1")
        assert states["first"] == ("success", 1), app.output()
        # Not even made ready: Airflow's scheduler does not examine a paused DAG's runs.
        assert states["second"] == (None, 0), (states, app.output())
        assert await db.fetchval("SELECT state FROM dag_run WHERE run_id = 'r1'") == "running"
        cli(app_env, "dags", "unpause", "paused_chain")
        assert await wait_run_done(db, "paused_chain", "r1", timeout=60) == "success", app.output()
        assert (await task_states(db, "paused_chain", "r1"))["second"] == ("success", 1)
    finally:
        app.stop()


async def _state(db: asyncpg.Connection, task_id: str) -> bool:
    state = await db.fetchval("SELECT state FROM task_instance WHERE task_id = $1", task_id)
    return state == "running"


async def _finished(db: asyncpg.Connection, task_id: str) -> bool:
    return await db.fetchval("SELECT state FROM task_instance WHERE task_id = $1", task_id) == "success"
