"""The database fixture gives each test a private, empty PostgreSQL database."""

from __future__ import annotations

import asyncpg
import pytest

from tests.conftest import ADMIN_DSN, temporary_database

pytestmark = pytest.mark.postgres


async def test_each_test_gets_its_own_empty_database(pg_conn: asyncpg.Connection, pg_dsn: str) -> None:
    name = await pg_conn.fetchval("SELECT current_database()")
    assert name.startswith("riir_test_") and pg_dsn.endswith(name)
    tables = await pg_conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    assert tables == 0
    # A real round trip: a table, a transaction and a rollback that leaves nothing behind.
    await pg_conn.execute("CREATE TABLE probe (id int PRIMARY KEY)")
    with pytest.raises(asyncpg.UniqueViolationError):
        async with pg_conn.transaction():
            await pg_conn.execute("INSERT INTO probe VALUES (1)")
            await pg_conn.execute("INSERT INTO probe VALUES (1)")
    assert await pg_conn.fetchval("SELECT count(*) FROM probe") == 0


async def test_database_is_dropped_afterwards() -> None:
    async with temporary_database() as dsn:
        name = dsn.rsplit("/", 1)[1]
        conn = await asyncpg.connect(dsn)  # left open on purpose: the drop must still succeed
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        exists = await admin.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", name)
    finally:
        await admin.close()
    conn.terminate()
    assert exists == 0
