"""Correctness under concurrency and crashes: competing claimers, killed transactions."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import uuid

import asyncpg
import pytest

from riir_airflow.metastore import queries as q
from riir_airflow.metastore.pool import connect, settings_from_config
from riir_airflow.metastore.records import NewTaskInstance, StateChange, TaskInstanceKey
from tests.metastore.conftest import make_run

pytestmark = pytest.mark.postgres

KEY_A = TaskInstanceKey("example", "manual__1", "a")


async def test_concurrent_claimers_never_claim_the_same_try(db: asyncpg.Pool, pg_dsn: str) -> None:
    await q.upsert_pool(db, "default_pool", -1)  # unlimited: this test is about double claiming, not pools
    await q.upsert_dag(db, "example")
    total = 0
    for run in range(6):
        tasks = [NewTaskInstance(f"t{i}", priority_weight=i % 3) for i in range(50)]
        await q.create_dag_run(db, "example", f"r{run}", run_type="manual", tasks=tasks)
        await q.set_task_states(db, "example", f"r{run}", [StateChange(t.task_id, "scheduled", (None,)) for t in tasks])
        total += len(tasks)

    async def claimer(name: str) -> list[str]:
        conn = await connect(settings_from_config(dsn=pg_dsn))
        got: list[str] = []
        try:
            while True:
                async with conn.transaction():
                    batch = await q.claim_ready_tries(conn, app_id=name, hostname=name, limit=7)
                    # Hold the row locks a little so the claimers really overlap.
                    await conn.execute("SELECT pg_sleep(0.003)")
                if not batch:
                    return got
                got += [str(ti.id) for ti in batch]
        finally:
            await conn.close()

    results = await asyncio.gather(*(claimer(f"app{i}") for i in range(4)))
    claimed = [ti for batch in results for ti in batch]
    assert len(claimed) == total and len(set(claimed)) == total  # every try once, none twice
    assert all(results), "every claimer got some work, so they did run concurrently"
    async with db.acquire() as conn:
        by_app = await conn.fetch("SELECT app_id, count(*) FROM task_instance GROUP BY app_id")
    assert {row["app_id"]: row["count"] for row in by_app} == {f"app{i}": len(r) for i, r in enumerate(results)}


_HALF_DONE = textwrap.dedent(
    """
    import asyncio, sys, uuid
    from riir_airflow.metastore import queries as q
    from riir_airflow.metastore.pool import connect, settings_from_config
    from riir_airflow.metastore.records import StateChange, TaskInstanceKey

    async def main(dsn, ti_id):
        conn = await connect(settings_from_config(dsn=dsn))
        print(await conn.fetchval("SELECT pg_backend_pid()"), flush=True)
        async with conn.transaction():
            await q.record_task_result(conn, uuid.UUID(ti_id), 1, "success", xcoms={"return_value": 42})
            await q.set_task_states(conn, "example", "manual__1", [StateChange("b", "scheduled", (None,))])
            await q.append_task_log(conn, TaskInstanceKey("example", "manual__1", "a"), 1, ["done"])
            print("HALFWAY", flush=True)
            await asyncio.sleep(120)  # killed here, before COMMIT

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def _running_try(db: asyncpg.Pool) -> str:
    await make_run(db)
    await q.set_task_state(db, KEY_A, "scheduled", expected=[None])
    (ti,) = await q.claim_ready_tries(db, app_id="app", hostname="h", limit=1)
    await q.start_try(db, ti.id, ti.try_number, pid=1, hostname="h")
    return str(ti.id)


async def _assert_nothing_written(db: asyncpg.Pool) -> None:
    a = await q.get_task_instance(db, KEY_A)
    b = await q.get_task_instance(db, TaskInstanceKey("example", "manual__1", "b"))
    assert a is not None and a.state == "running" and a.end_date is None
    assert b is not None and b.state is None
    assert await q.get_xcom(db, KEY_A) is None
    assert await q.list_task_instance_tries(db, KEY_A) == []
    assert await q.read_task_log(db, KEY_A, 1) == []


async def _wait_backend_gone(db: asyncpg.Pool, backend_pid: int) -> None:
    """The server has ended the killed session (and so rolled back its transaction)."""
    async with db.acquire() as conn:
        for _ in range(200):
            if not await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", backend_pid):
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"backend {backend_pid} still alive")


async def _start_half_done(pg_dsn: str, ti_id: str) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _HALF_DONE, pg_dsn, ti_id, stdout=subprocess.PIPE, cwd=os.getcwd()
    )
    assert proc.stdout is not None
    backend_pid = int(await asyncio.wait_for(proc.stdout.readline(), 30))
    assert await asyncio.wait_for(proc.stdout.readline(), 30) == b"HALFWAY\n"
    return proc, backend_pid


async def test_killed_client_process_leaves_nothing_half_written(db: asyncpg.Pool, pg_dsn: str) -> None:
    ti_id = await _running_try(db)
    proc, backend_pid = await _start_half_done(pg_dsn, ti_id)
    async with db.acquire() as conn:
        # The transaction really is open and holds the task instance's row lock.
        state = await conn.fetchval("SELECT state FROM pg_stat_activity WHERE pid = $1", backend_pid)
        assert state == "idle in transaction"
    os.kill(proc.pid, signal.SIGKILL)
    assert await proc.wait() == -signal.SIGKILL
    await _wait_backend_gone(db, backend_pid)
    await _assert_nothing_written(db)
    # The row lock is gone with the killed session: the result can now be recorded by someone else.
    done = await asyncio.wait_for(q.record_task_result(db, uuid.UUID(ti_id), 1, "failed"), 10)
    assert done is not None and done.state == "failed"


async def test_terminated_server_connection_leaves_nothing_half_written(db: asyncpg.Pool, pg_dsn: str) -> None:
    ti_id = await _running_try(db)
    proc, backend_pid = await _start_half_done(pg_dsn, ti_id)
    try:
        async with db.acquire() as conn:
            assert await conn.fetchval("SELECT pg_terminate_backend($1)", backend_pid)
        await _wait_backend_gone(db, backend_pid)
        await _assert_nothing_written(db)
        done = await asyncio.wait_for(q.record_task_result(db, uuid.UUID(ti_id), 1, "success", xcoms={"x": 1}), 10)
        assert done is not None and (await q.get_xcom(db, KEY_A, "x")).value == 1  # type: ignore[union-attr]
    finally:
        proc.kill()
        await proc.wait()


async def test_concurrent_claimers_never_overfill_a_pool(db: asyncpg.Pool, pg_dsn: str) -> None:
    await q.upsert_pool(db, "five", 5)
    await q.upsert_dag(db, "example")
    for run in range(4):
        tasks = [NewTaskInstance(f"t{i}", pool="five") for i in range(25)]
        await q.create_dag_run(db, "example", f"r{run}", run_type="manual", tasks=tasks)
        await q.set_task_states(db, "example", f"r{run}", [StateChange(t.task_id, "scheduled", (None,)) for t in tasks])

    async def claimer(name: str) -> int:
        conn = await connect(settings_from_config(dsn=pg_dsn))
        got = 0
        try:
            for _ in range(10):  # nothing is ever finished, so at most 5 tries may be claimed in total
                async with conn.transaction():
                    got += len(await q.claim_ready_tries(conn, app_id=name, hostname=name, limit=2))
                    await conn.execute("SELECT pg_sleep(0.002)")
        finally:
            await conn.close()
        return got

    counts = await asyncio.gather(*(claimer(f"app{i}") for i in range(4)))
    assert sum(counts) == 5
    usage = {p.pool: p for p in (await q.list_pool_usage(db)).items}
    assert usage["five"].queued_slots == 5 and usage["five"].open_slots == 0
