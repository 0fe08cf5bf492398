"""Fixtures: a migrated metastore on the test's own PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from riir_airflow.metastore import queries as q
from riir_airflow.metastore.migrate import migrate
from riir_airflow.metastore.pool import connect, init_connection, settings_from_config
from riir_airflow.metastore.records import NewTaskInstance


@pytest.fixture
async def db(pg_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a freshly migrated database."""
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=10, init=init_connection)
    assert pool is not None
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def conn(db: asyncpg.Pool, pg_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A single connection (with the JSON codecs) to the migrated database."""
    c = await connect(settings_from_config(dsn=pg_dsn))
    try:
        yield c
    finally:
        await c.close()


async def make_run(
    db: asyncpg.Pool, dag_id: str = "example", run_id: str = "manual__1", tasks: tuple[str, ...] = ("a", "b", "c")
) -> None:
    """A DAG with one run and one task instance per task id, all without state."""
    if await q.get_dag(db, dag_id) is None:
        await q.upsert_dag(db, dag_id, fileloc=f"/dags/{dag_id}.py", owners="airflow")
    await q.create_dag_run(db, dag_id, run_id, run_type="manual", tasks=[NewTaskInstance(task_id=t) for t in tasks])
