"""What wakes a DAG app's loop: a pause or unpause notification, and each hop of a chain (with its XCom passed on)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, task_states, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(180)]

CHAIN = """
    from airflow.sdk import DAG, task
    import pendulum

    with DAG("wake_chain", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        @task
        def step(x=0):
            return x + 1

        value = step.override(task_id="s0")()
        for i in range(1, 12):
            value = step.override(task_id=f"s{i}")(value)
"""


async def test_unpause_notification_starts_a_waiting_run(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    # The app reads the pause flag again only when notified: unpausing must still start the queued run promptly.
    env = dict(app_env, AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True")
    path = write_dag(dags, "wake_chain.py", CHAIN)
    app = AppProcess(env, path, tmp_path / "app.log")
    try:
        for _ in range(100):
            if await db.fetchval("SELECT count(*) FROM app"):
                break
            await asyncio.sleep(0.1)
        cli(env, "dags", "trigger", "wake_chain", "-r", "r1")
        await asyncio.sleep(2)
        assert await db.fetchval("SELECT state FROM dag_run WHERE run_id = 'r1'") == "queued", app.output()
        cli(env, "dags", "unpause", "wake_chain")
        # Well within the app's 60 s idle wake-up: the notification, not the timer, woke it.
        assert await wait_run_done(db, "wake_chain", "r1", timeout=20) == "success", app.output()
        states = await task_states(db, "wake_chain", "r1")
        assert states == {f"s{i}": ("success", 1) for i in range(12)}
        xcom = await db.fetchval("SELECT value FROM xcom WHERE task_id = 's11' AND key = 'return_value'")
        assert xcom == "12"
        cli(env, "dags", "pause", "wake_chain")
        cli(env, "dags", "trigger", "wake_chain", "-r", "r2")
        await asyncio.sleep(2)
        assert await db.fetchval("SELECT state FROM dag_run WHERE run_id = 'r2'") == "queued", app.output()
    finally:
        app.stop()
