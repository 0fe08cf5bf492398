"""The fork server exists while the app has work: closed after `[riir] fork_server_idle_seconds` without any, made
again by the next try (app/executor.py), from the DAG file as it is on disk then."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
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


def fork_servers_under(parent: int) -> list[int]:
    """The fork servers (processes named riir-fork-srv) among the children of `parent`."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
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


async def app_after_one_run(
    env: dict[str, str], db: asyncpg.Connection, dags: Path, log: Path, version: str
) -> tuple[AppProcess, Path]:
    """An app on VERSIONED_DAG (returning `version`) that has run it once, r1; and its DAG file."""
    path = write_dag(dags, "on_demand.py", VERSIONED_DAG.replace("VERSION", version))
    app = await start_app(env, db, path, log)
    try:
        cli(env, "dags", "trigger", "on_demand", "-r", "r1")
        assert await wait_run_done(db, "on_demand", "r1") == "success", app.output()
        assert await returned(db, "r1") == version
    except BaseException:
        app.stop()
        raise
    return app, path


async def test_an_idle_app_closes_its_fork_server_and_the_next_try_makes_a_new_one(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    env = {**app_env, "AIRFLOW__RIIR__FORK_SERVER_IDLE_SECONDS": "1"}
    app, path = await app_after_one_run(env, db, dags, tmp_path / "app.log", "first")
    try:

        async def closed() -> bool:
            return not fork_servers_under(app.proc.pid)

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
    app, _ = await app_after_one_run(env, db, dags, tmp_path / "app.log", "kept")
    try:
        template = fork_servers_under(app.proc.pid)
        assert len(template) == 1
        await asyncio.sleep(3)
        assert fork_servers_under(app.proc.pid) == template
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
    from tests.app.test_zygote import zygote_of
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

        # The one it forked from itself at start-up goes once the app has had nothing to do for 2 s.
        await wait_until(lambda: not fork_servers_under(app.pid), what="the app to close its first fork server")
        cli(env, "dags", "trigger", "on_demand", "-r", "r1")
        found: list[int] = []

        def from_the_zygote() -> bool:
            found[:] = fork_servers_under(zygote)
            return bool(found)

        await wait_until(from_the_zygote, what="a fork server forked by the zygote")
        for needle in (fernet.encode(), pg_dsn.encode()):
            assert needle not in Path(f"/proc/{found[0]}/environ").read_bytes()
            assert scan_memory(found[0], needle) is False
        assert not fork_servers_under(app.pid)
        assert await wait_run_done(db, "on_demand", "r1") == "success", standalone.output()
        assert await returned(db, "r1") == "from the zygote"
        await wait_until(lambda: not fork_servers_under(zygote), what="the app to close the zygote's fork server")
    finally:
        await db.close()
        standalone.kill()


async def test_a_scheduled_wake_up_keeps_or_makes_the_fork_server_ahead_of_it(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run due within `keep_for_due_within` keeps the fork server; one further away lets it go, and it is made
    again `TEMPLATE_LEAD_SECONDS` before the run — not for a wake-up already past."""
    from riir_airflow import compat
    from riir_airflow.app import executor as executor_module
    from riir_airflow.app.executor import ForkExecutor
    from riir_airflow.app.fork_server import ForkServer
    from riir_airflow.metastore.pool import ConnectionSettings, connect

    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__RIIR__FORK_SERVER_IDLE_SECONDS", "0.3")
    monkeypatch.setenv("RIIR_AIRFLOW_COMPAT", "1")
    if not compat.is_installed():
        compat.install()
        monkeypatch.setattr("riir_airflow.compat.is_installed", lambda: True)
    monkeypatch.setattr(executor_module, "TEMPLATE_LEAD_SECONDS", 1.0)
    path = tmp_path / "on_demand.py"
    path.write_text(VERSIONED_DAG.replace("VERSION", "ahead"))
    db = await connect(ConnectionSettings(dsn=pg_dsn))
    made: list[ForkServer] = []

    def new_template(file: str) -> ForkServer:
        made.append(ForkServer.start(file))
        return made[-1]

    async def until(check: Callable[[], bool], what: str) -> None:
        for _ in range(300):
            if check():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    first = ForkServer.start(str(path))
    executor = ForkExecutor(db, first, new_template, keep_for_due_within=2.0)
    loop = asyncio.get_running_loop()
    try:
        first.attach(loop)
        await first.ready(120)
        executor.expect_work_in(1.5)  # within keep_for_due_within: kept past its idle time
        executor.release_when_idle()
        await asyncio.sleep(0.8)
        assert executor.fork_server is first and first.alive()

        executor.expect_work_in(4.0)  # further away: it goes, then comes back 1 s ahead of the run
        due = loop.time() + 4.0
        executor.release_when_idle()
        await until(lambda: executor.fork_server is None, "the idle fork server to go")
        assert not first.alive() and not made
        await until(lambda: bool(made), "the fork server made ahead of the run")
        assert due - 1.0 - 0.05 <= loop.time() < due, "made 1 s ahead of the run"
        assert executor.fork_server is made[0] and await made[0].ready(120) == ["on_demand"]

        # Nothing came; the wake-up is past: it goes again and is not made again for that wake-up.
        await until(lambda: executor.fork_server is None, "the unused fork server to go")
        await asyncio.sleep(1.0)
        assert executor.fork_server is None and len(made) == 1
    finally:
        await executor.close()
        for server in [first, *made]:
            server.close()
        await db.close()
