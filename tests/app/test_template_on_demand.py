"""The fork server exists while the app has work: closed after `[riir] fork_server_idle_seconds` without any, made
again by the next try (app/executor.py), from the DAG file as it is on disk then."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, start_app, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

VERSIONED_DAG = """
from airflow.sdk import DAG, task

with DAG("on_demand", schedule=None):
    @task
    def which():
        return "VERSION"

    which()
"""


def templates_of(app: AppProcess) -> list[int]:
    """The app's fork servers (children named riir-fork-srv)."""
    pid = app.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found = []
    for child in children:
        try:
            if Path(f"/proc/{child}/comm").read_text().strip() == "riir-fork-srv":
                found.append(int(child))
        except FileNotFoundError:
            continue  # exited meanwhile
    return found


async def returned(db: asyncpg.Connection, run_id: str) -> object:
    value = await db.fetchval(
        "SELECT value FROM xcom WHERE dag_id = 'on_demand' AND run_id = $1 AND task_id = 'which' "
        "AND key = 'return_value'",
        run_id,
    )
    return json.loads(value)


async def test_an_idle_app_closes_its_fork_server_and_the_next_try_makes_a_new_one(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    env = {**app_env, "AIRFLOW__RIIR__FORK_SERVER_IDLE_SECONDS": "1"}
    path = write_dag(dags, "on_demand.py", VERSIONED_DAG.replace("VERSION", "first"))
    app = await start_app(env, db, path, tmp_path / "app.log")
    try:
        cli(env, "dags", "trigger", "on_demand", "-r", "r1")
        assert await wait_run_done(db, "on_demand", "r1") == "success", app.output()
        assert await returned(db, "r1") == "first"

        async def closed() -> bool:
            return not templates_of(app)

        await wait_for(closed, 30, "the idle app to close its fork server")
        assert "Closed the fork server of" in app.output()

        # The task's code changed on disk meanwhile: the new fork server imports the file as it is now, as an
        # Airflow worker imports it for each task.
        path.write_text(VERSIONED_DAG.replace("VERSION", "second"))
        cli(env, "dags", "trigger", "on_demand", "-r", "r2")
        assert await wait_run_done(db, "on_demand", "r2") == "success", app.output()
        assert await returned(db, "r2") == "second"
        assert "Starting a fork server for" in app.output()
        await wait_for(closed, 30, "the idle app to close its new fork server")
    finally:
        app.stop()


async def test_zero_keeps_the_fork_server_for_the_apps_life(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    env = {**app_env, "AIRFLOW__RIIR__FORK_SERVER_IDLE_SECONDS": "0"}
    path = write_dag(dags, "on_demand.py", VERSIONED_DAG.replace("VERSION", "kept"))
    app = await start_app(env, db, path, tmp_path / "app.log")
    try:
        cli(env, "dags", "trigger", "on_demand", "-r", "r1")
        assert await wait_run_done(db, "on_demand", "r1") == "success", app.output()
        template = templates_of(app)
        assert len(template) == 1
        await asyncio.sleep(3)
        assert templates_of(app) == template
        assert "Closed the fork server" not in app.output()
    finally:
        app.stop()
