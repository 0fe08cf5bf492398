"""LISTEN/NOTIFY wake-ups between apps and the broker.

Triggers in the schema (migrations/0001_initial.sql) send these on commit, whoever writes the row, so a listener
never hears about a change that rolled back. Payloads are small JSON objects; read the rows for the full state.

    riir_run_created      {"dag_id", "run_id", "run_type"}                            a dag_run row was inserted
    riir_task_state       {"dag_id", "run_id", "task_id", "map_index", "try_number",
                           "state", "previous"}                                      a task instance changed state
    riir_dag_paused       {"dag_id", "is_paused"}                                     a DAG was paused or unpaused
    riir_app_registered   {"id", "name", "dag_ids", "state"}                          an app registered or changed state

`riir_reparse_requested` {"dag_id"} is sent on a DAG's own channel only, by the broker (PUT /parseDagFile): the
app serving the DAG loads its file again.

Not announced (migration 0019; each would wake every listening backend of the database, the apps' included): runs
of run_type `scheduled` (only the app scheduling the DAG creates them) and task instances moving to scheduled, queued
or running (only the DAG's app moves them there), unless they leave `awaiting_input` (a person answered).

Each of the first three is also sent on its DAG's own channel, `dag_channel(dag_id)`, with the global channel's
name in "event" (migration 0010): a DAG app listens to its DAGs' channels only, so an event reaches the one app it
concerns instead of every app of the deployment. An app whose tries wait for pool slots that other DAGs hold also
listens to `riir_task_state` until they are claimed (app/service.py).

LISTEN needs a session of its own: behind pgbouncer in transaction mode, give the listener a direct connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

import asyncpg

RUN_CREATED: Final = "riir_run_created"
TASK_STATE_CHANGED: Final = "riir_task_state"
DAG_PAUSED: Final = "riir_dag_paused"
APP_REGISTERED: Final = "riir_app_registered"
REPARSE_REQUESTED: Final = "riir_reparse_requested"  # an event of DAG channels only (see above)
CHANNELS: Final = (RUN_CREATED, TASK_STATE_CHANGED, DAG_PAUSED, APP_REGISTERED)
DAG_CHANNEL_PREFIX: Final = "riir_dag_"


def dag_channel(dag_id: str) -> str:
    """The channel of one DAG's events; the same name as SQL's riir_dag_channel(dag_id) (channel names are
    identifiers of at most 63 bytes, DAG ids are longer: hence a hash)."""
    return DAG_CHANNEL_PREFIX + hashlib.md5(dag_id.encode(), usedforsecurity=False).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Notification:
    channel: str
    payload: dict[str, Any]


class Listener:
    """Collects notifications of some channels on one dedicated connection into an asyncio queue.

    async with Listener(conn, [RUN_CREATED]) as listener:
        note = await listener.get(timeout=5)
    """

    def __init__(self, conn: asyncpg.Connection, channels: Collection[str] = CHANNELS) -> None:
        unknown = set(channels) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channels: {sorted(unknown)}")
        self.conn = conn
        self.channels = list(channels)
        self.queue: asyncio.Queue[Notification] = asyncio.Queue()

    def _on_notify(self, _conn: Any, _pid: int, channel: str, payload: object) -> None:
        self.queue.put_nowait(Notification(channel, json.loads(str(payload))))

    async def start(self) -> None:
        for channel in self.channels:
            await self.conn.add_listener(channel, self._on_notify)

    async def stop(self) -> None:
        for channel in self.channels:
            await self.conn.remove_listener(channel, self._on_notify)

    async def __aenter__(self) -> Listener:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def get(self, timeout: float | None = None) -> Notification:
        """The next notification; TimeoutError after `timeout` seconds."""
        return await asyncio.wait_for(self.queue.get(), timeout)

    def drain(self) -> list[Notification]:
        """Everything received so far, without waiting."""
        items = []
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        return items


async def request_reparse(conn: asyncpg.Connection | Any, dag_ids: Collection[str]) -> None:
    """Asks the apps serving `dag_ids` to load their DAG file again (sent when the caller's transaction commits)."""
    for dag_id in sorted(dag_ids):
        await conn.execute(
            "SELECT pg_notify(riir_dag_channel($1), json_build_object('event', $2::text, 'dag_id', $1)::text)",
            dag_id, REPARSE_REQUESTED,
        )  # fmt: skip
