"""An app's PostgreSQL connection budget: at most two, waiting (never dying, never losing work) when the server is
full, through pgbouncer in transaction mode, and 100 apps on one PostgreSQL with the default max_connections."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from riir_airflow.metastore import connections
from riir_airflow.metastore.connections import ConnectionBudget, connect_waiting
from riir_airflow.metastore.embedded import EmbeddedPostgres
from riir_airflow.metastore.pool import settings_from_config
from tests.app.harness import AppProcess, cli, env_for, start_app, wait_run_done, write_dag
from tests.metastore.test_pgbouncer import pgbouncer  # noqa: F401 - the fixture

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[str]:
    """A private PostgreSQL (the embedded binaries) that takes only 6 connections."""
    server = EmbeddedPostgres.for_home(tmp_path / "small")
    dsn = server.ensure_running(max_connections=6)
    try:
        yield dsn
    finally:
        server.stop()


async def _fill(dsn: str, leave: int) -> list[asyncpg.Connection]:
    """Opens connections until only `leave` are left on the server."""
    conns = [await asyncpg.connect(dsn)]
    total = int(await conns[0].fetchval("SHOW max_connections"))
    conns += [await asyncpg.connect(dsn) for _ in range(total - leave - 1)]
    return conns


@pytest.mark.timeout(60)
async def test_budget_works_on_the_session_connection_while_the_server_is_full(
    small_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connections, "WORK_RETRY_SECONDS", 0.2)
    settings = settings_from_config(dsn=small_server)
    blockers = await _fill(small_server, leave=1)
    try:
        session = await connect_waiting(settings, what="test session")
        budget = ConnectionBudget(settings, session, idle_seconds=0.3)
        # Work that meets no other work runs on the free session connection: no second connection is asked for.
        assert await budget.fetchval("SELECT pg_backend_pid()") == session.get_server_pid()
        assert budget.connection_count == 1 and budget.on_session_first == 1 and budget.on_session_fallback == 0

        async def while_session_busy(query: str) -> Any:
            """Runs `query` through the budget while another operation holds the session connection."""
            async with budget.session_connection():
                work = asyncio.create_task(budget.fetchval(query))
                await asyncio.sleep(0.1)
            return await work

        # The server is full: the work waits for the session connection, and nothing fails.
        assert await while_session_busy("SELECT 41 + 1") == 42
        assert budget.connection_count == 1 and budget.on_session_fallback == 1
        # One slot frees up: it stays free for apps that have no connection at all (the headroom).
        await blockers.pop().close()
        await asyncio.sleep(0.3)
        assert await while_session_busy("SELECT 1") == 1
        assert budget.connection_count == 1 and budget.on_session_fallback == 2
        # Plenty free: after the retry pause the budget opens its second connection, and never a third.
        while blockers:
            await blockers.pop().close()
        await asyncio.sleep(0.5)
        await while_session_busy("SELECT 1")
        results = await asyncio.gather(*(budget.fetchval("SELECT pg_backend_pid()") for _ in range(20)))
        assert budget.connection_count == 2 and budget.work_connections_opened == 1
        assert len(set(results)) == 1 and results[0] != session.get_server_pid()
        # Idle, it gives the work connection back.
        await asyncio.sleep(0.6)
        assert budget.connection_count == 1
        await budget.close()
        await session.close()
    finally:
        for conn in blockers:
            await conn.close()


@pytest.mark.timeout(60)
async def test_connect_waits_for_a_free_slot_instead_of_failing(small_server: str) -> None:
    settings = settings_from_config(dsn=small_server)
    blockers = await _fill(small_server, leave=0)
    try:
        with pytest.raises(asyncpg.exceptions.TooManyConnectionsError):
            await asyncpg.connect(small_server)
        waiting = asyncio.create_task(connect_waiting(settings, what="test"))
        await asyncio.sleep(0.5)
        assert not waiting.done()  # still waiting, not failed
        await blockers.pop().close()
        conn = await asyncio.wait_for(waiting, 15)
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
    finally:
        for conn in blockers:
            await conn.close()


@pytest.mark.timeout(120)
async def test_app_through_pgbouncer_transaction_mode(
    pgbouncer: int,  # noqa: F811 - the fixture
    pg_dsn: str,
    tmp_path: Path,
    dags: Path,
    db: asyncpg.Connection,
) -> None:
    """Work through pgbouncer (transaction pooling, 2 server connections); locks and LISTEN on `direct_conn`."""
    database = pg_dsn.rpartition("/")[2]
    bouncer = f"postgresql://postgres@127.0.0.1:{pgbouncer}/{database}?prepared_statement_cache_size=0"
    home = tmp_path / "home"
    home.mkdir()
    cli(env_for(pg_dsn, home), "db", "migrate")
    env = env_for(bouncer, home, AIRFLOW__DATABASE__DIRECT_CONN=pg_dsn)
    path = write_dag(
        dags,
        "bounced.py",
        """
        from airflow.sdk import DAG, task

        with DAG("bounced", schedule=None):
            @task
            def one():
                return 1

            @task
            def two(x):
                return x + 1

            two(one())
        """,
    )
    app = await start_app(env, db, path, tmp_path / "app.log")
    try:
        cli(env, "dags", "trigger", "bounced", "-r", "r1")
        assert await wait_run_done(db, "bounced", "r1") == "success", app.output()
        value = await db.fetchval("SELECT value FROM xcom WHERE dag_id = 'bounced' AND task_id = 'two'")
        assert value == "2"
        # The app's session (the one holding its lock and LISTEN) is a direct connection, not pgbouncer's.
        locks = await db.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert locks == 1
        assert app.terminate() == 0
    finally:
        app.stop()


APPS = 100
BATCH = 20


@pytest.mark.timeout(420)
async def test_100_apps_on_one_default_postgresql(tmp_path: Path) -> None:
    """100 apps on a PostgreSQL with the default max_connections=100: every one registers, creates its run, runs
    its task and records the result and XCom; none dies of "too many clients"."""
    home = tmp_path / "home"
    home.mkdir()
    env = env_for("", home)  # no database configured: the embedded PostgreSQL under $AIRFLOW_HOME
    cli(env, "db", "migrate")
    server = EmbeddedPostgres.for_home(home)
    try:
        assert server.started_max_connections() == 100
        dags = tmp_path / "dags"
        done = tmp_path / "done"
        dags.mkdir()
        done.mkdir()
        for n in range(APPS):
            write_dag(
                dags,
                f"budget_{n}.py",
                f"""
                import pendulum
                from airflow.sdk import DAG, task

                with DAG("budget_{n}", schedule="@once", start_date=pendulum.datetime(2024, 1, 1)):
                    @task
                    def mark():
                        open("{done}/budget_{n}", "w").close()
                        return {n}

                    mark()
                """,
            )
        # Started in batches, so that 100 imports at once on a small shared machine do not hit the import timeout
        # (the connections are what this test is about): each batch has registered before the next starts.
        apps: list[AppProcess] = []
        try:
            for first in range(0, APPS, BATCH):
                batch = [
                    AppProcess(env, dags / f"budget_{n}.py", tmp_path / f"app_{n}.log")
                    for n in range(first, min(first + BATCH, APPS))
                ]
                apps += batch
                started = time.monotonic()
                while not all(" running budget_" in a.output() for a in batch):
                    ended = [a for a in batch if a.proc.poll() is not None]
                    assert not ended, ended[0].output()
                    assert time.monotonic() - started < 120, "a batch of apps did not start within 2 minutes"
                    await asyncio.sleep(0.5)
            deadline = time.monotonic() + 300
            finished = re.compile(r"Dag run \S+ of budget_\d+ finished: success")
            while True:
                ended = [a for a in apps if a.proc.poll() is not None]
                assert not ended, ended[0].output()
                if all(finished.search(a.output()) for a in apps):
                    break
                assert time.monotonic() < deadline, f"{len(list(done.iterdir()))} of {APPS} tasks ran"
                await asyncio.sleep(1)
            for app in apps:
                app.proc.send_signal(signal.SIGTERM)
            for app in apps:
                assert app.wait(60) == 0, app.output()
            logs = [a.log_path.read_text() for a in apps]
            assert not [text for text in logs if "Traceback" in text]
            # Whether the server filled up depends on how often apps' work met (an app opens its second connection
            # only then); the full-server path itself is test_budget_works_on_the_session_connection_while_...full.
        finally:
            for app in apps:
                app.stop()
        conn = await asyncpg.connect(server.dsn)
        try:
            assert await conn.fetchval("SELECT count(*) FROM app") == APPS
            states = await conn.fetch("SELECT dag_id, state FROM dag_run")
            assert len(states) == APPS and {r["state"] for r in states} == {"success"}
            values = await conn.fetch("SELECT dag_id, value FROM xcom WHERE key = 'return_value'")
            assert sorted((r["dag_id"], r["value"]) for r in values) == sorted(
                (f"budget_{n}", str(n)) for n in range(APPS)
            )
        finally:
            await conn.close()
    finally:
        server.stop()
