"""A DAG app's connection budget: at most two PostgreSQL connections, and waiting instead of dying when none is free.

An app needs a *session* connection for what lives in a session — the per-DAG advisory locks and `LISTEN` — and
does its ordinary work (one transaction at a time) on a *work* connection:

- The session connection is direct to PostgreSQL (`[database] direct_conn`, default `sql_alchemy_conn`): pgbouncer
  in transaction mode would hand the session to another client between transactions, losing locks and LISTEN.
- The work connection may go through pgbouncer (`sql_alchemy_conn`). It is opened only when work would otherwise
  wait for the session connection (an operation is running on it) and closed after `WORK_IDLE_SECONDS` without
  any, so an idle app holds one connection. Work that meets no other work (an idle app's housekeeping, most
  scheduled ticks) runs on the session connection: no PostgreSQL backend is started for it, and its prepared
  statements stay cached from one tick to the next.
- When the server is full ("too many clients"), opening a connection waits and retries with backoff instead of
  failing: the session connection at start-up, the work connection by doing the work on the session connection
  meanwhile (one transaction at a time, as the work connection would). Nothing is lost: an operation waits for a
  connection; it never fails for want of one.

- A work connection is a luxury: on the server the session connection lives on, it is opened only while more
  than `headroom()` connections are free, so apps that have none yet (starting, or reconnecting) always find room.

So N apps need N connections at least and 2N at most; 100 apps run on PostgreSQL's default `max_connections`.
`ConnectionBudget` has the small part of the asyncpg pool interface `queries` uses (`acquire`, `fetch`, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

from riir_airflow.metastore.pool import ConnectionSettings, connect

log = logging.getLogger("riir_airflow.metastore.connections")

WORK_IDLE_SECONDS = 10.0
# After the server refused a work connection, work stays on the session connection for a while before asking again
# (each refused attempt costs the server a process start): 5 s, doubling to a minute while refusals go on.
WORK_RETRY_SECONDS = 5.0
MAX_WORK_RETRY_SECONDS = 60.0
MAX_CONNECT_BACKOFF = 5.0


def server_unavailable(exc: BaseException) -> bool:
    """True when a connection attempt failed because the server is full, starting, or not reachable for now."""
    if isinstance(exc, (asyncpg.exceptions.TooManyConnectionsError, asyncpg.exceptions.CannotConnectNowError)):
        return True
    if isinstance(exc, asyncpg.PostgresError):
        # pgbouncer's own limits come as protocol errors with these texts.
        text = str(exc)
        return "no more connections allowed" in text or "too many clients" in text
    return isinstance(exc, (OSError, TimeoutError))


def connection_lost(exc: BaseException) -> bool:
    """True when an operation failed because its connection broke (the work may be retried on a new one)."""
    return isinstance(
        exc,
        (
            asyncpg.exceptions.ConnectionDoesNotExistError,
            asyncpg.exceptions.InterfaceError,
            asyncpg.exceptions.AdminShutdownError,
            asyncpg.exceptions.CannotConnectNowError,
            asyncpg.exceptions.ConnectionFailureError,
            ConnectionError,
        ),
    )


def transient(exc: BaseException) -> bool:
    """True for failures that a retry of the same transaction may not meet again: a broken or refused connection,
    a serialization failure or deadlock, the server shutting down."""
    if connection_lost(exc) or server_unavailable(exc):
        return True
    code = str(getattr(exc, "sqlstate", "") or "")
    return code[:2] in ("08", "40", "53", "57")


async def connect_waiting(
    settings: ConnectionSettings,
    *,
    what: str,
    stopping: asyncio.Event | None = None,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> asyncpg.Connection:
    """Opens a connection, waiting with backoff (and saying so, once) while the server is full or unreachable.

    Other errors (a wrong password, a missing database) are raised at once; `RuntimeError` when `stopping` is set
    before a connection was made.
    """
    delay = 0.1
    warned = False
    while True:
        try:
            return await connect(settings)
        except Exception as exc:
            if not server_unavailable(exc):
                raise
            if not warned:
                log.warning("No PostgreSQL connection for the %s (%s); waiting and retrying", what, exc)
                warned = True
        if stopping is not None and stopping.is_set():
            raise RuntimeError(f"stopped while waiting for a PostgreSQL connection for the {what}")
        # Jitter keeps many apps that were refused together from all retrying at the same moment.
        await sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, MAX_CONNECT_BACKOFF)


def headroom(max_connections: int) -> int:
    """Connections left free for sessions: a tenth of the server, at least 3."""
    return max(3, max_connections // 10)


# Free connection slots on this server (every client backend counts, whoever it belongs to).
_FREE_SLOTS = (
    "SELECT current_setting('max_connections')::int, current_setting('max_connections')::int - "
    "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
)


class ConnectionBudget:
    """The session connection (locks, LISTEN) and an on-demand work connection, one transaction at a time each.

    `same_server`: the work connection goes to the session's server (not through pgbouncer), so it is opened only
    while that server has headroom.
    """

    def __init__(
        self,
        work_settings: ConnectionSettings,
        session: asyncpg.Connection,
        *,
        idle_seconds: float = WORK_IDLE_SECONDS,
        same_server: bool = True,
    ) -> None:
        self.work_settings = work_settings
        self.session = session
        self.same_server = same_server
        self.idle_seconds = idle_seconds
        self.session_lock = asyncio.Lock()  # one operation at a time on the session connection
        self._work: asyncpg.Connection | None = None
        self._work_lock = asyncio.Lock()  # one operation at a time on the work connection
        self._refused_until = 0.0
        self._refusal_pause = WORK_RETRY_SECONDS
        self._idle_close: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self.work_connections_opened = 0  # for tests and diagnostics
        self.on_session_fallback = 0
        self.on_session_first = 0  # operations run on the free session connection (no work connection open)

    def _work_idle_and_session_free(self) -> bool:
        no_work = self._work is None or self._work.is_closed()
        return no_work and not self._work_lock.locked() and not self.session_lock.locked()

    @property
    def connection_count(self) -> int:
        """How many connections this budget holds open right now (1 or 2)."""
        return 1 + (self._work is not None and not self._work.is_closed())

    async def _work_connection(self) -> asyncpg.Connection | None:
        """The open work connection, opened if needed; None while the server has no room for it."""
        if self._work is not None and not self._work.is_closed():
            return self._work
        loop = asyncio.get_running_loop()
        if loop.time() < self._refused_until:
            return None
        try:
            if self.same_server:
                async with self.session_lock:
                    slots = await self.session.fetchrow(_FREE_SLOTS)
                total, free = (int(slots[0]), int(slots[1])) if slots is not None else (0, 0)
                if free <= headroom(total):
                    raise asyncpg.exceptions.TooManyConnectionsError(
                        f"only {free} of {total} connections free, kept for apps that have none"
                    )
            self._work = await connect(self.work_settings)
        except Exception as exc:
            if not server_unavailable(exc):
                raise
            if self._refusal_pause == WORK_RETRY_SECONDS:
                log.warning("No second PostgreSQL connection (%s); working on the session connection meanwhile", exc)
            self._refused_until = loop.time() + self._refusal_pause
            self._refusal_pause = min(self._refusal_pause * 2, MAX_WORK_RETRY_SECONDS)
            self._work = None
            return None
        self._refusal_pause = WORK_RETRY_SECONDS
        self.work_connections_opened += 1
        return self._work

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for one unit of work: the session connection while it is free and no work connection is
        open, else the work connection (opened now if needed), or the session one while the server is full."""
        if self._work_idle_and_session_free():
            # Work that does not compete with anything runs on the session connection: a scheduled tick of an app
            # that was idle then costs no new PostgreSQL backend, and its prepared statements are still cached.
            self.on_session_first += 1
            async with self.session_lock:
                yield self.session
            return
        async with self._work_lock:
            if self._idle_close is not None:
                self._idle_close.cancel()
                self._idle_close = None
            conn = await self._work_connection()
            if conn is None:
                self.on_session_fallback += 1
                async with self.session_lock:
                    yield self.session
                return
            try:
                yield conn
            except BaseException as exc:
                if connection_lost(exc) and not conn.is_closed():
                    conn.terminate()
                raise
            finally:
                self._schedule_idle_close()

    @contextlib.asynccontextmanager
    async def session_connection(self) -> AsyncIterator[asyncpg.Connection]:
        """The session connection itself (advisory locks, LISTEN), one operation at a time."""
        async with self.session_lock:
            yield self.session

    def _schedule_idle_close(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle_close = loop.call_later(self.idle_seconds, self._close_idle)

    def _close_idle(self) -> None:
        self._idle_close = None
        task = asyncio.get_running_loop().create_task(self._close_work())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close_work(self) -> None:
        async with self._work_lock:
            if self._idle_close is not None:  # used again since: keep it
                return
            work, self._work = self._work, None
            if work is not None and not work.is_closed():
                try:
                    await asyncio.wait_for(work.close(), 5)
                except (Exception, TimeoutError):
                    work.terminate()

    # The parts of the asyncpg pool interface `queries` uses outside a transaction.
    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self.acquire() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(query, *args)
            return rows

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        async with self.acquire() as conn:
            row: asyncpg.Record | None = await conn.fetchrow(query, *args)
            return row

    async def fetchval(self, query: str, *args: Any) -> Any:
        async with self.acquire() as conn:
            return await conn.fetchval(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        async with self.acquire() as conn:
            status: str = await conn.execute(query, *args)
            return status

    async def close(self) -> None:
        """Closes the work connection (the session connection belongs to whoever opened it)."""
        if self._idle_close is not None:
            self._idle_close.cancel()
            self._idle_close = None
        for task in list(self._closing):
            await task  # _close_work handles its own errors
        work, self._work = self._work, None
        if work is not None and not work.is_closed():
            try:
                await asyncio.wait_for(work.close(), 5)
            except (Exception, TimeoutError):
                work.terminate()
