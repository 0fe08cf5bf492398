"""Live refresh for open pages: one LISTEN connection per broker process fans the metastore's NOTIFY wake-ups out
to every open page as server-sent events. Nothing runs while nobody is connected, and nothing polls the database:
a page refetches its live sections only when a change it shows was notified."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from riir_airflow.metastore import notify
from riir_airflow.metastore.pool import ConnectionSettings, connect

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0


class LiveHub:
    """Subscribers get every notification; the connection is opened for the first and closed after the last."""

    def __init__(self, pool: asyncpg.Pool, settings: ConnectionSettings | None = None) -> None:
        self._pool = pool
        self._settings = settings
        self._subscribers: set[asyncio.Queue[notify.Notification]] = set()
        self._conn: Any = None  # a pool connection held while anyone listens
        self._lock = asyncio.Lock()
        self._closer: asyncio.Task[None] | None = None

    def _on_notify(self, _conn: Any, _pid: int, channel: str, payload: object) -> None:
        note = notify.Notification(channel, json.loads(str(payload)))
        for queue in self._subscribers:
            queue.put_nowait(note)

    async def subscribe(self) -> asyncio.Queue[notify.Notification]:
        queue: asyncio.Queue[notify.Notification] = asyncio.Queue()
        async with self._lock:
            if self._conn is None:
                # LISTEN needs a session of its own: a direct connection (as the DAG apps' listener), or, when
                # the broker was given a pool rather than settings, one held out of the pool while anyone listens.
                self._conn = await (connect(self._settings) if self._settings else self._pool.acquire())
                for channel in notify.CHANNELS:
                    await self._conn.add_listener(channel, self._on_notify)
            self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[notify.Notification]) -> None:
        """Synchronous, so that a request cancelled by its client's disconnect always gets here; the last one out
        hands the connection back from a task of its own (an await in a cancelled request would be cut short and
        leak the connection)."""
        self._subscribers.discard(queue)
        if not self._subscribers and self._conn is not None and self._closer is None:
            self._closer = asyncio.get_running_loop().create_task(self._close_when_idle())

    async def _close_when_idle(self) -> None:
        try:
            async with self._lock:
                if self._subscribers or self._conn is None:
                    return
                conn, self._conn = self._conn, None
                try:
                    for channel in notify.CHANNELS:
                        await conn.remove_listener(channel, self._on_notify)
                finally:
                    await (conn.close() if self._settings else self._pool.release(conn))
        finally:
            self._closer = None

    async def close(self) -> None:
        """At shutdown: drop every subscriber and give the connection back before the pool closes."""
        self._subscribers.clear()
        if self._closer is not None:
            await self._closer
        if self._conn is not None:
            self._closer = asyncio.get_running_loop().create_task(self._close_when_idle())
            await self._closer

    async def stream(self, dag_id: str | None) -> AsyncIterator[str]:
        """SSE frames for the notifications about `dag_id` (all DAGs when None), with keep-alive comments."""
        queue = await self.subscribe()
        try:
            yield "retry: 2000\n\n"
            while True:
                try:
                    note = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                ids = note.payload.get("dag_ids") if note.channel == notify.APP_REGISTERED else None
                about = note.payload.get("dag_id")
                if dag_id is None or about == dag_id or (isinstance(ids, list) and dag_id in ids):
                    yield f"event: {note.channel}\ndata: {json.dumps(note.payload)}\n\n"
        finally:
            self.unsubscribe(queue)
