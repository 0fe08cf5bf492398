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
        "SELECT value::text FROM xcom WHERE dag_id = 'on_demand' AND run_id = $1 AND task_id = 'which' "
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


@pytest.mark.timeout(240)
async def test_an_app_forked_from_the_zygote_gets_its_new_fork_server_from_the_zygote(
    pg_dsn: str, tmp_path: Path
) -> None:
    """Under standalone the app cannot fork a new template from itself (it holds its secrets): the zygote forks it,
    and it holds no secret either."""
    import secrets

    from riir_airflow.metastore.pool import connect, settings_from_config
    from tests.app.harness import env_for
    from tests.app.test_hostile import scan_memory
    from tests.app.test_zygote import children, comm, zygote_of
    from tests.test_standalone import Standalone, running_app, wait_until

    dags = tmp_path / "dags"
    dags.mkdir()
    write_dag(dags, "on_demand.py", VERSIONED_DAG.replace("VERSION", "from the zygote"))
    fernet = secrets.token_urlsafe(24)
    env = env_for(pg_dsn, tmp_path / "home", AIRFLOW__CORE__FERNET_KEY=fernet,
                  AIRFLOW__RIIR__FORK_SERVER_IDLE_SECONDS="2")  # fmt: skip
    standalone = Standalone(env, "--dags", str(dags), "--no-broker")
    standalone.wait_for_line("Database ready")
    db = await connect(settings_from_config(dsn=pg_dsn))
    try:
        await wait_until(lambda: running_app(db, "on_demand"), what="the app")
        app = await running_app(db, "on_demand")
        assert app is not None and app.pid is not None
        zygote = zygote_of(standalone.proc.pid)

        def templates(parent: int) -> list[int]:
            found = []
            for pid in children(parent):
                try:
                    if comm(pid) == "riir-fork-srv":
                        found.append(pid)
                except FileNotFoundError:
                    continue
            return found

        # The one it forked from itself at start-up goes once the app has had nothing to do for 2 s.
        await wait_until(lambda: not templates(app.pid), what="the app to close its first fork server")
        cli(env, "dags", "trigger", "on_demand", "-r", "r1")
        found: list[int] = []

        def from_the_zygote() -> bool:
            found[:] = templates(zygote)
            return bool(found)

        await wait_until(from_the_zygote, what="a fork server forked by the zygote")
        for needle in (fernet.encode(), pg_dsn.encode()):
            assert needle not in Path(f"/proc/{found[0]}/environ").read_bytes()
            assert scan_memory(found[0], needle) is False
        assert not templates(app.pid)
        assert await wait_run_done(db, "on_demand", "r1") == "success", standalone.output()
        assert await returned(db, "r1") == "from the zygote"
        await wait_until(lambda: not templates(zygote), what="the app to close the zygote's fork server")
    finally:
        await db.close()
        standalone.kill()
