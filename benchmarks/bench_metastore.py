"""Metastore write throughput: the "task finished + XCom + next try scheduled + next tries claimed" transaction.

Each worker holds one running try. One transaction records its success with a return-value XCom (and the history
row), schedules its downstream task (compare-and-set), and claims the next ready try (FOR UPDATE SKIP LOCKED); then
a second, short transaction starts that try (queued -> running). Runs with 1 connection and with 8 concurrent
connections, with asyncpg's statement cache on and off (off = what pgbouncer in transaction mode needs).

    python benchmarks/bench_metastore.py [--runs 150] [--chain 10] [--repeat 5] [--quick]

Each configuration is repeated `--repeat` times (each repetition starts from freshly created runs); a loaded machine
takes minutes (every commit waits for fsync), `--quick` a fifth of that. riir only:
Airflow records a task's end through its api-server's execution API and the scheduler's loop, with no single
transaction to set against this one. Uses a fresh database on RIIR_TEST_PG_DSN (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure

from riir_airflow.metastore import queries as q
from riir_airflow.metastore.migrate import migrate
from riir_airflow.metastore.pool import ConnectionSettings, connect
from riir_airflow.metastore.records import NewTaskInstance, StateChange, TaskInstanceRecord

ADMIN_DSN = os.environ.get("RIIR_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _prepare(dsn: str, runs: int, chain: int) -> None:
    conn = await connect(ConnectionSettings(dsn=dsn))
    try:
        await migrate(conn)
        await conn.execute("TRUNCATE dag CASCADE")
        await q.upsert_dag(conn, "bench")
        tasks = [NewTaskInstance(f"t{i:02d}") for i in range(chain)]
        for r in range(runs):
            await q.create_dag_run(conn, "bench", f"run_{r}", run_type="manual", tasks=tasks)
            await q.set_task_states(conn, "bench", f"run_{r}", [StateChange("t00", "scheduled", (None,))])
    finally:
        await conn.close()


async def _worker(dsn: str, cache: int, chain: int, latencies: list[float]) -> int:
    conn = await connect(ConnectionSettings(dsn=dsn, statement_cache_size=cache))
    done = 0
    try:
        (current,) = await q.claim_ready_tries(conn, app_id="bench", hostname="h", limit=1) or [None]
        while current is not None:
            await q.start_try(conn, current.id, current.try_number, pid=1, hostname="h")
            started = time.perf_counter()
            nxt: TaskInstanceRecord | None
            async with conn.transaction():
                await q.record_task_result(
                    conn,
                    current.id,
                    current.try_number,
                    "success",
                    xcoms={"return_value": {"rows": done, "task": current.task_id}},
                )
                index = int(current.task_id[1:]) + 1
                if index < chain:
                    await q.set_task_states(
                        conn, current.dag_id, current.run_id, [StateChange(f"t{index:02d}", "scheduled", (None,))]
                    )
                claimed = await q.claim_ready_tries(conn, app_id="bench", hostname="h", limit=1)
                nxt = claimed[0] if claimed else None
            latencies.append(time.perf_counter() - started)
            done += 1
            current = nxt
    finally:
        await conn.close()
    return done


async def _round(dsn: str, workers: int, cache: int, runs: int, chain: int) -> tuple[float, float]:
    """(finished tries per second, median latency of the finish transaction in ms) of one repetition."""
    await _prepare(dsn, runs, chain)
    latencies: list[float] = []
    started = time.perf_counter()
    counts = await asyncio.gather(*(_worker(dsn, cache, chain, latencies) for _ in range(workers)))
    elapsed = time.perf_counter() - started
    total = sum(counts)
    assert total == runs * chain, f"every try finished exactly once ({total} != {runs * chain})"
    return total / elapsed, statistics.median(latencies) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=150)
    parser.add_argument("--chain", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each configuration (default 5)")
    parser.add_argument("--quick", action="store_true", help="--runs 30 (300 tries per repetition)")
    args = parser.parse_args()
    if args.quick:
        args.runs = 30
    run = measure.Run("metastore", {"tries": args.runs * args.chain, "runs": args.runs, "chain": args.chain,
                                    "repeat": args.repeat})  # fmt: skip

    name = f"riir_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = ADMIN_DSN.rpartition("/")[0] + "/" + name
    try:
        print(f"metastore transaction: finish try + XCom + schedule next + claim next ({args.runs * args.chain} tries)")
        print("tries/s: finished tries per second (each = 1 finish transaction + 1 short start transaction);")
        print("median ms: latency of the finish transaction alone. Every commit waits for fsync (durable).")
        print(f"{'connections':>11} {'stmt cache':>10} {'tries/s (min-max)':>22} {'median ms':>9}")
        rates: dict[tuple[int, int], list[float]] = {}
        for workers in (1, 8):
            for cache in (100, 0):
                results = [await _round(dsn, workers, cache, args.runs, args.chain) for _ in range(args.repeat)]
                rates[(workers, cache)] = [rate for rate, _ in results]
                medians = [latency for _, latency in results]
                label = f"{workers} connection{'s' if workers > 1 else ''}, statement cache {'on' if cache else 'off'}"
                run.figure(f"{label}: finished tries per second", "tries/s", rates[(workers, cache)],
                           lower_is_better=False)  # fmt: skip
                run.figure(f"{label}: finish transaction, median latency", "ms", medians)
                mine = rates[(workers, cache)]
                print(f"{workers:>11} {('on' if cache else 'off'):>10} {statistics.median(mine):>9.0f} "
                      f"({min(mine):.0f}-{max(mine):.0f}){'':>4} {statistics.median(medians):>9.2f}",
                      flush=True)  # fmt: skip
        scale = statistics.median(rates[(8, 100)]) / statistics.median(rates[(1, 100)])
        cache_off = statistics.median(rates[(1, 0)]) / statistics.median(rates[(1, 100)])
        print(f"8 connections / 1 connection (cache on): {scale:.2f}x")
        print(f"cache off / on (1 connection): {cache_off:.2f}x")
        run.notes.append(
            "One repetition = the runs created afresh, then every try finished by 1 or 8 connections: a finish "
            "transaction (result + return-value XCom + history row, next task scheduled, next ready try claimed FOR "
            "UPDATE SKIP LOCKED) and a short start transaction; durable commits. Statement cache off is what "
            f"pgbouncer in transaction mode needs. Medians: 8 connections / 1 = {scale:.2f}x; cache off / on "
            f"(1 connection) = {cache_off:.2f}x. riir only (Airflow has no single transaction to compare)."
        )
    finally:
        admin = await asyncpg.connect(ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    print(f"results: {run.save()}")
    run.print_table()


if __name__ == "__main__":
    asyncio.run(main())
