"""LISTEN/NOTIFY: every channel fires on commit, never for rolled-back changes nor for changes nobody acts on."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from riir_airflow.metastore import queries as q
from riir_airflow.metastore.notify import (
    APP_REGISTERED,
    CHANNELS,
    DAG_PAUSED,
    RUN_CREATED,
    TASK_STATE_CHANGED,
    Listener,
    Notification,
    dag_channel,
)
from riir_airflow.metastore.records import StateChange, TaskInstanceKey
from tests.metastore.conftest import make_run

pytestmark = pytest.mark.postgres


async def _settle(listener: Listener) -> list[Notification]:
    await asyncio.sleep(0.2)  # notifications arrive asynchronously after the commit
    return listener.drain()


async def test_every_channel(db: asyncpg.Pool, conn: asyncpg.Connection) -> None:
    async with Listener(conn) as listener:
        await make_run(db, tasks=("a",))
        note = await listener.get(timeout=5)
        assert note == Notification(RUN_CREATED, {"dag_id": "example", "run_id": "manual__1", "run_type": "manual"})

        await q.set_task_state(db, TaskInstanceKey("example", "manual__1", "a"), "success", expected=[None])
        note = await listener.get(timeout=5)
        assert note.channel == TASK_STATE_CHANGED
        assert note.payload == {"dag_id": "example", "run_id": "manual__1", "task_id": "a", "map_index": -1,
                                "try_number": 1, "state": "success", "previous": None}  # fmt: skip

        await q.set_dag_paused(db, "example", False)
        assert await listener.get(timeout=5) == Notification(DAG_PAUSED, {"dag_id": "example", "is_paused": False})
        await q.set_dag_paused(db, "example", False)  # no change, no notification

        await q.register_app(db, "app-1", name="etl", dag_ids=["example"], code_hash="h", hostname="host")
        note = await listener.get(timeout=5)
        assert note == Notification(APP_REGISTERED, {"id": "app-1", "name": "etl", "dag_ids": ["example"],
                                                     "state": "running"})  # fmt: skip
        await q.heartbeat_app(db, "app-1")  # heartbeats are not registrations
        assert await _settle(listener) == []


async def test_rolled_back_changes_are_not_announced(db: asyncpg.Pool, conn: asyncpg.Connection) -> None:
    await make_run(db, tasks=("a",))
    async with Listener(conn, [TASK_STATE_CHANGED]) as listener:
        async with db.acquire() as writer:
            with pytest.raises(RuntimeError):
                async with writer.transaction():
                    await q.set_task_states(writer, "example", "manual__1", [StateChange("a", "scheduled", (None,))])
                    raise RuntimeError("roll back")
        assert await _settle(listener) == []
        # A compare-and-set that does not match changes nothing and announces nothing either.
        await q.set_task_state(db, TaskInstanceKey("example", "manual__1", "a"), "running", expected=["queued"])
        assert await _settle(listener) == []


def test_unknown_channel_is_refused() -> None:
    assert len(CHANNELS) == 4
    with pytest.raises(ValueError, match="unknown channels"):
        Listener(None, ["nope"])  # type: ignore[arg-type]


async def test_each_dag_has_its_own_channel(db: asyncpg.Pool, conn: asyncpg.Connection) -> None:
    # An app listens to its DAGs' channels only: another DAG's events never reach it.
    long_id = "d" * 250  # longer than a channel name may be: the name is a hash
    assert await conn.fetchval("SELECT riir_dag_channel($1)", long_id) == dag_channel(long_id)
    assert len(dag_channel(long_id).encode()) <= 63
    mine: list[tuple[str, dict[str, object]]] = []

    def on_notify(_conn: object, _pid: int, channel: str, payload: object) -> None:
        mine.append((channel, json.loads(str(payload))))

    await conn.add_listener(dag_channel("example"), on_notify)
    await make_run(db, dag_id="other", tasks=("a",))
    await q.set_task_state(db, TaskInstanceKey("other", "manual__1", "a"), "success", expected=[None])
    await make_run(db, tasks=("a",))
    await q.set_task_state(db, TaskInstanceKey("example", "manual__1", "a"), "success", expected=[None])
    await q.set_dag_paused(db, "example", False)
    await asyncio.sleep(0.3)  # notifications arrive asynchronously after the commit
    assert {channel for channel, _ in mine} == {dag_channel("example")}
    assert [(p["event"], p["dag_id"]) for _, p in mine] == [
        (RUN_CREATED, "example"),
        (TASK_STATE_CHANGED, "example"),
        (DAG_PAUSED, "example"),
    ]
    assert mine[1][1]["state"] == "success" and mine[1][1]["task_id"] == "a"


async def test_changes_nobody_acts_on_are_not_announced(db: asyncpg.Pool, conn: asyncpg.Connection) -> None:
    # Each notifying commit wakes every listening backend: a DAG's own scheduled runs and its tries moving on to
    # scheduled, queued or running (only its app does either) are not announced; leaving awaiting_input is.
    async with Listener(conn) as listener:
        await make_run(db, tasks=("a", "b"))
        await q.create_dag_run(db, "example", "scheduled__1", run_type="scheduled")
        key = TaskInstanceKey("example", "manual__1", "a")
        for state, before in (("scheduled", None), ("queued", "scheduled"), ("running", "queued")):
            await q.set_task_state(db, key, state, expected=[before])
        await q.set_task_state(db, key, "success", expected=["running"])
        waiting = TaskInstanceKey("example", "manual__1", "b")
        await q.set_task_state(db, waiting, "awaiting_input", expected=[None])
        await q.set_task_state(db, waiting, "scheduled", expected=["awaiting_input"])
        notes = await _settle(listener)
    assert [(n.channel, n.payload.get("run_id"), n.payload.get("task_id"), n.payload.get("state")) for n in notes] == [
        (RUN_CREATED, "manual__1", None, None),
        (TASK_STATE_CHANGED, "manual__1", "a", "success"),
        (TASK_STATE_CHANGED, "manual__1", "b", "awaiting_input"),
        (TASK_STATE_CHANGED, "manual__1", "b", "scheduled"),
    ]
