"""The database fixture gives each test a private, empty PostgreSQL database."""

from __future__ import annotations

import asyncpg
import pytest

from tests.conftest import ADMIN_DSN

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
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        leftovers = await admin.fetchval(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'riir_test_%' AND datname NOT IN "
            "(SELECT datname FROM pg_stat_activity WHERE datname IS NOT NULL)"
        )
    finally:
        await admin.close()
    # Databases of tests running right now have connections; finished ones must be gone.
    assert leftovers == 0
