"""The broker's pool hands connections back without asyncpg's reset query: what the broker does on a pooled
connection must leave no session state behind (an open transaction is still rolled back by asyncpg)."""

from __future__ import annotations

import asyncio

from riir_airflow.broker.ui.live import LiveHub
from riir_airflow.config import AirflowConfigParser
from riir_airflow.metastore.pool import create_pool, settings_from_config


async def test_a_connection_back_from_the_live_hub_listens_to_nothing(pg_dsn: str) -> None:
    settings = settings_from_config(AirflowConfigParser(environ={}), dsn=pg_dsn)
    pool = await create_pool(settings, reset_sessions=False)
    try:
        hub = LiveHub(pool)  # given a pool and no settings: it LISTENs on a pooled connection
        queue = await hub.subscribe()
        async with pool.acquire() as other:
            assert await other.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0
        hub.unsubscribe(queue)
        while hub._closer is not None:
            await asyncio.sleep(0.01)
        # Every connection of the pool, the hub's among them, is idle and listens to nothing.
        connections = [await pool.acquire() for _ in range(pool.get_size())]
        try:
            listening = [await c.fetchval("SELECT count(*) FROM pg_listening_channels()") for c in connections]
        finally:
            for conn in connections:
                await pool.release(conn)
        assert listening == [0] * len(connections)
    finally:
        await pool.close()


async def test_an_open_transaction_is_rolled_back_on_release(pg_dsn: str) -> None:
    settings = settings_from_config(AirflowConfigParser(environ={}), dsn=pg_dsn)
    pool = await create_pool(settings, reset_sessions=False)
    try:
        conn = await pool.acquire()
        await conn.execute("BEGIN; CREATE TABLE left_open (x int)")
        await pool.release(conn)
        async with pool.acquire() as again:
            assert not again.is_in_transaction()
            assert await again.fetchval("SELECT to_regclass('left_open')") is None
    finally:
        await pool.close()
