"""Migrations: version table, idempotence, two migrators at once, reset, and the `db` commands."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from riir_airflow.metastore.migrate import (
    VERSION_TABLE,
    NotRiirMetastore,
    check,
    drop_all,
    load_migrations,
    migrate,
    reset,
)

pytestmark = pytest.mark.postgres

EXPECTED_TABLES = {
    "dag", "dag_version", "dag_run", "task_instance", "task_instance_history", "xcom", "task_log", "variable",
    "connection", "pool", "asset", "asset_event", "backfill", "app", "event", "riir_app_grant", VERSION_TABLE,
    "task_reschedule", "dag_schedule_lease",  # 0002
    "asset_alias", "asset_alias_asset_event", "hitl_detail", "asset_state",  # 0006
    "riir_row_count",  # 0007
    "dagrun_asset_event",  # 0008
    "deadline",  # 0011
    "dag_schedule_asset_reference", "dag_schedule_asset_alias_reference", "asset_dag_run_queue",  # 0012
    "dag_favorite",  # 0015
    "connection_test_request", "task_state_store",  # 0016
    "team",  # 0022
    "asset_active",  # 0020
}  # fmt: skip


async def _tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


def test_migrations_are_numbered_sql_files() -> None:
    migrations = load_migrations()
    assert migrations[0].version == 1 and migrations[0].name == "initial"
    # Numbers are handed out per piece of work, so gaps are allowed; order and uniqueness are not negotiable.
    versions = [m.version for m in migrations]
    assert versions == sorted(set(versions))


async def test_migrate_creates_schema_once(pg_conn: asyncpg.Connection) -> None:
    before = await check(pg_conn)
    assert not before.up_to_date and before.applied == [] and len(before.pending) == len(load_migrations())
    applied = await migrate(pg_conn, default_pool_slots=7)
    assert [m.version for m in applied] == [m.version for m in load_migrations()]
    assert await _tables(pg_conn) == EXPECTED_TABLES
    assert await migrate(pg_conn) == []  # nothing left to do
    status = await check(pg_conn)
    assert status.up_to_date and status.applied == [m.version for m in load_migrations()]
    assert await pg_conn.fetchval("SELECT slots FROM pool WHERE pool = 'default_pool'") == 7
    # Every per-DAG table carries dag_id.
    for table in ("dag_version", "dag_run", "task_instance", "task_instance_history", "xcom", "task_log", "backfill"):
        columns = await pg_conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = $1",
                                      table)  # fmt: skip
        assert "dag_id" in {c["column_name"] for c in columns}, table


async def test_check_reports_changed_and_unknown_versions(pg_conn: asyncpg.Connection) -> None:
    await migrate(pg_conn)
    await pg_conn.execute(f"UPDATE {VERSION_TABLE} SET checksum = 'edited' WHERE version = 1")
    await pg_conn.execute(f"INSERT INTO {VERSION_TABLE} (version, name, checksum) VALUES (9999, 'future', 'x')")
    status = await check(pg_conn)
    assert status.changed == [1] and status.unknown == [9999] and not status.up_to_date


async def test_two_migrators_at_once(pg_dsn: str) -> None:
    conns = [await asyncpg.connect(pg_dsn) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        # The advisory lock made them take turns: exactly one applied each migration, no errors.
        applied = sorted(m.version for r in results for m in r)
        assert applied == [m.version for m in load_migrations()]
        assert (await check(conns[0])).up_to_date
    finally:
        for c in conns:
            await c.close()


async def test_reset_drops_data_and_migrates_again(pg_conn: asyncpg.Connection) -> None:
    await migrate(pg_conn)
    await pg_conn.execute("INSERT INTO variable (key, val) VALUES ('k', 'v')")
    await pg_conn.execute("CREATE TABLE not_ours (id int)")
    await reset(pg_conn)
    assert await pg_conn.fetchval("SELECT count(*) FROM variable") == 0
    assert (await check(pg_conn)).up_to_date
    await drop_all(pg_conn)
    assert await _tables(pg_conn) == {"not_ours"}  # other tables in the database are left alone


async def test_reset_refuses_a_database_riir_did_not_migrate(pg_conn: asyncpg.Connection) -> None:
    # An Airflow-looking database: same table names, no riir version table. Nothing may be dropped.
    await pg_conn.execute("CREATE TABLE dag (dag_id text PRIMARY KEY); CREATE TABLE variable (key text)")
    with pytest.raises(NotRiirMetastore, match="not created by `riir-airflow db migrate`"):
        await reset(pg_conn)
    assert await _tables(pg_conn) == {"dag", "variable"}


async def test_reset_never_cascades_into_objects_that_are_not_ours(pg_conn: asyncpg.Connection) -> None:
    await migrate(pg_conn)
    await pg_conn.execute("CREATE VIEW their_report AS SELECT dag_id FROM dag")
    with pytest.raises(asyncpg.DependentObjectsStillExistError):
        await reset(pg_conn)
    # The failed reset rolled back whole: our schema and their view are both still there.
    assert (await check(pg_conn)).up_to_date
    assert await pg_conn.fetchval("SELECT count(*) FROM their_report") == 0


def _cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "riir-airflow"), *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), **extra)
    return env


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg2", "postgres"])
async def test_db_commands_on_the_machines_postgres(pg_dsn: str, tmp_path: Path, scheme: str) -> None:
    url = scheme + pg_dsn.removeprefix("postgresql")
    env = _env(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=url)
    before = _cli("db", "check", env=env)  # like Airflow's: reachable is enough, the schema state is reported
    assert before.returncode == 0 and "Connection successful." in before.stdout
    assert "Pending migration 0001_initial" in before.stderr
    waited = _cli("db", "check-migrations", "-t", "1", env=env)
    assert waited.returncode == 1 and "There are still unapplied migrations after 1 seconds." in waited.stderr
    migrated = _cli("db", "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "Applied migration 0001_initial" in migrated.stdout
    checked = _cli("db", "check", env=env)
    assert checked.returncode == 0 and "Connection successful." in checked.stdout, checked.stderr
    assert "up to date" in checked.stdout and checked.stderr == ""
    assert _cli("db", "check-migrations", env=env).returncode == 0
    assert not (tmp_path / "embedded-postgres").exists()  # a configured database never starts the embedded one
    refused = _cli("db", "reset", env=env, stdin="n\n")
    assert refused.returncode == 1 and "Cancelled" in refused.stdout
    assert _cli("db", "reset", "--yes", env=env).returncode == 0
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert (await check(conn)).up_to_date
    finally:
        await conn.close()


def test_db_commands_refuse_sqlite(tmp_path: Path) -> None:
    env = _env(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp_path}/airflow.db")
    result = _cli("db", "migrate", env=env)
    assert result.returncode == 1
    assert "'sqlite', but riir-airflow's metastore is PostgreSQL only" in result.stderr


def test_db_check_unreachable_server(tmp_path: Path) -> None:
    env = _env(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql://postgres@127.0.0.1:1/airflow")
    result = _cli("db", "check", env=env)
    assert result.returncode == 1 and "cannot connect to the metastore" in result.stderr
