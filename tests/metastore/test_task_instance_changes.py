"""Migration 0017: a loop turn reads only the task instances changed since the previous read of the run.

A read of changes may also return rows that did not change: any transaction on the server still open at the previous
read (another database's, too: transaction ids are server-wide) holds the cursor back, and rows written since it
began are read again. So these tests check that every change comes back, with its new state, and that nothing
else comes back changed."""

from __future__ import annotations

import asyncpg

from riir_airflow.metastore import app_queries
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import StateChange
from tests.metastore.conftest import make_run


async def _read(db: asyncpg.Pool, since: dict[str, int] | None = None) -> app_queries.RunStates:
    [active] = await app_queries.active_runs_with_states(db, "example", since)
    assert active.run.run_id == "manual__1" and active.states is not None
    return active.states


async def test_a_read_since_the_last_one_returns_only_the_changed_task_instances(db: asyncpg.Pool) -> None:
    await make_run(db)
    await q.set_dag_run_state(db, "example", "manual__1", "running", expected=["queued"])
    full = await _read(db)
    assert sorted(ti.task_id for ti in full.rows) == ["a", "b", "c"] and full.since is None and full.total is None

    nothing = await _read(db, {"manual__1": full.cursor})
    assert all(ti.state is None for ti in nothing.rows)  # nothing changed (what comes back is read again)
    assert nothing.since == full.cursor and nothing.total == 3

    async with q.transaction(db) as conn:
        await q.set_task_states(conn, "example", "manual__1", [StateChange("b", "success", (None,))])
    changed = await _read(db, {"manual__1": nothing.cursor})
    assert ("b", "success") in [(ti.task_id, ti.state) for ti in changed.rows] and changed.total == 3
    # The same read for one run (the engine's later passes of a turn).
    one = await app_queries.task_state_changes(db, "example", "manual__1", nothing.cursor)
    assert ("b", "success") in [(ti.task_id, ti.state) for ti in one.rows] and one.total == 3
    assert one.since == nothing.cursor and one.cursor >= nothing.cursor

    # A row deleted shows in the total only: the engine then reads everything.
    await db.execute("DELETE FROM task_instance WHERE task_id = 'c'")
    after_delete = await _read(db, {"manual__1": changed.cursor})
    assert "c" not in [ti.task_id for ti in after_delete.rows] and after_delete.total == 2


async def test_a_transaction_still_open_at_a_read_is_read_again_after_it_commits(db: asyncpg.Pool) -> None:
    """The cursor is the xmin of the reader's snapshot: a write that committed after the read, by a transaction
    that began before it, is not lost."""
    await make_run(db)
    await q.set_dag_run_state(db, "example", "manual__1", "running", expected=["queued"])
    async with db.acquire() as writer:
        tx = writer.transaction()
        await tx.start()
        await writer.execute("UPDATE task_instance SET state = 'failed' WHERE task_id = 'a'")
        first = await _read(db)  # does not see the uncommitted write
        assert {ti.task_id: ti.state for ti in first.rows}["a"] is None
        await tx.commit()
    again = await _read(db, {"manual__1": first.cursor})
    assert ("a", "failed") in [(ti.task_id, ti.state) for ti in again.rows]
