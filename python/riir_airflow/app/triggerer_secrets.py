"""Connections and variables for code that runs in the DAG app process itself: the in-process triggerer.

Task processes ask their app over the channel; a trigger runs on the app's own event loop, and provider triggers
look connections up synchronously (`BaseHook.get_connection` inside `async def run`). A blocking call cannot wait
for the app's asyncpg pool on the loop it is blocking, so each lookup runs on a short-lived helper thread with its
own loop and one connection: it blocks the app's loop for one small query, as a sync lookup in Airflow's triggerer
blocks its loop too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from riir_airflow.metastore import secrets as store_secrets
from riir_airflow.metastore.pool import ConnectionSettings, connect

T = TypeVar("T")
LOOKUP_TIMEOUT = 30.0


class AppProcessSecrets:
    """The metastore behind `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` for the app process (see module docstring)."""

    def __init__(self, settings: ConnectionSettings, to_serialized: Callable[[Any], str]) -> None:
        self.settings = settings
        self.to_serialized = to_serialized

    def _blocking(self, lookup: Callable[[Any], Awaitable[T]]) -> T:
        async def run() -> T:
            conn = await connect(self.settings)
            try:
                return await lookup(conn)
            finally:
                await conn.close()

        with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="riir-secrets") as pool:
            return pool.submit(asyncio.run, run()).result(timeout=LOOKUP_TIMEOUT)

    def get_conn_value(self, conn_id: str) -> str | None:
        record = self._blocking(lambda conn: store_secrets.get_connection_record(conn, conn_id))
        return None if record is None else self.to_serialized(record)

    def get_variable(self, key: str) -> str | None:
        value = self._blocking(lambda conn: store_secrets.get_variable(conn, key, environ={}))
        return None if value is None else str(value)
