"""An app listens to its own DAGs' notification channels only; while one of its tries waits for a pool slot that
another app's DAG holds, it also listens to every DAG's task states, so the slot being freed wakes it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from riir_airflow.app.service import IDLE_WAKE_SECONDS
from tests.app.harness import cli, start_app, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(180)]

# The try holds its pool slot until the file `release` names exists (none: it ends at once); the test decides
# when, so a slow machine cannot end the holder before the waiter has been seen waiting.
DAG = """
    import os
    import time
    from airflow.sdk import DAG, task
    import pendulum

    with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        @task(pool="one_slot")
        def work():
            deadline = time.monotonic() + 120
            while {release!r} and not os.path.exists({release!r}) and time.monotonic() < deadline:
                time.sleep(0.05)

        work()
"""


async def test_a_slot_freed_by_another_apps_dag_wakes_the_waiting_app(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    await db.execute("INSERT INTO pool (pool, slots, description) VALUES ('one_slot', 1, 'test')")
    release = tmp_path / "release"
    holder = write_dag(dags, "holder.py", DAG.format(dag_id="holder", release=str(release)))
    waiter = write_dag(dags, "waiter.py", DAG.format(dag_id="waiter", release=""))
    apps = [
        await start_app(app_env, db, holder, tmp_path / "holder.log"),
        await start_app(app_env, db, waiter, tmp_path / "waiter.log"),
    ]
    try:
        cli(app_env, "dags", "trigger", "holder", "-r", "r1")

        async def holder_running() -> bool:
            state = await db.fetchval("SELECT state FROM task_instance WHERE dag_id = 'holder' AND run_id = 'r1'")
            return bool(state == "running")

        await wait_for(holder_running, 60, "the holder's try to run")
        cli(app_env, "dags", "trigger", "waiter", "-r", "r1")
        await asyncio.sleep(1)
        waiting = await db.fetchval("SELECT state FROM task_instance WHERE dag_id = 'waiter' AND run_id = 'r1'")
        assert waiting in ("scheduled", None)  # no slot for it while the holder runs
        release.touch()
        assert await wait_run_done(db, "holder", "r1") == "success"
        assert await wait_run_done(db, "waiter", "r1") == "success"
        freed = await db.fetchval("SELECT end_date FROM task_instance WHERE dag_id = 'holder' AND run_id = 'r1'")
        started = await db.fetchval("SELECT start_date FROM task_instance WHERE dag_id = 'waiter' AND run_id = 'r1'")
        # Woken by the holder's end, not by the idle timer, which looks again only IDLE_WAKE_SECONDS after its
        # last turn (when the waiter was triggered, before the holder was released).
        assert started >= freed
        assert (started - freed).total_seconds() < IDLE_WAKE_SECONDS - 10
    finally:
        for app in apps:
            app.stop()
