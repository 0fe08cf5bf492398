"""Where a task hop's time goes: the PostgreSQL round trips a DAG app makes between one task's result and the next
task's start, counted and timed.

    python benchmarks/hop_trace.py [--tasks 20] [--runs 2] [--show 1]

Runs `bench_app.py`'s DAG (a chain of no-op @task) in one `riir-airflow app` on a fresh database, with every
statement the app sends traced (`hop_trace_site/sitecustomize.py`, loaded through PYTHONPATH: the app's code is not
changed). A hop here is from the start of the round trip that records task n's result to the start of the one that
stamps task n+1 `running` (start_try); the hop the benchmarks report (start(n+1) - end(n) from task_instance) lies
inside it. Prints the median round-trip count and time per hop, the statements of the median hop with their
timings and the gaps between them (time spent in the app's Python), and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_app import DAG_ID, dag_source, wait_run  # noqa: E402
from harness import Processes, database, riir_cli, run_cli, wait_until  # noqa: E402

# How the two ends of a hop look in the trace (the statements' first words).
RESULT_MARK = "riir_record_result("
START_MARK = "riir_schedule_and_start("


@dataclass
class Statement:
    start: float
    end: float
    connection: int
    text: str


def read_trace(prefix: Path) -> list[Statement]:
    """Every statement of every traced process (the app; its task processes open no connection)."""
    statements: list[Statement] = []
    for path in prefix.parent.glob(prefix.name + ".*"):
        for line in path.read_text().splitlines():
            start, end, connection, text = line.split("\t", 3)
            statements.append(Statement(float(start), float(end), int(connection), text))
    return sorted(statements, key=lambda s: s.start)


def hops(statements: list[Statement]) -> list[list[Statement]]:
    """The statements from each result write to the next start_try (in the order the app sent them)."""
    found: list[list[Statement]] = []
    current: list[Statement] | None = None
    for n, statement in enumerate(statements):
        if RESULT_MARK in statement.text:
            # The try's end_date is the transaction's start: take in its BEGIN and lease check.
            begun = n
            while (
                begun > 0
                and n - begun < 2
                and statements[begun - 1].connection == statement.connection
                and (statements[begun - 1].text.startswith(("BEGIN", "SELECT fencing_token")))
            ):
                begun -= 1
            current = statements[begun : n + 1]
        elif current is not None:
            current.append(statement)
            if START_MARK in statement.text:
                found.append(current)
                current = None
    return found


def describe(hop: list[Statement]) -> str:
    lines = []
    previous_end = hop[0].start
    for statement in hop:
        gap = (statement.start - previous_end) * 1000
        took = (statement.end - statement.start) * 1000
        lines.append(f"  +{gap:6.2f} ms gap  {took:6.2f} ms  conn {statement.connection}  {statement.text[:100]}")
        previous_end = statement.end
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--show", type=int, default=1, help="hops printed statement by statement")
    parser.add_argument("--cycle", action="store_true", help="also print each shown hop's whole task cycle")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hop-trace-"))
    trace = workdir / "trace"
    load_before = os.getloadavg()
    try:
        dag_file = workdir / f"{DAG_ID}.py"
        dag_file.write_text(dag_source(args.tasks))
        cli = riir_cli()
        procs = Processes(workdir)
        with database("hop_trace") as dsn:
            env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
            env.update(
                AIRFLOW_HOME=str(workdir),
                AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn,
                AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
                RIIR_AIRFLOW_COMPAT="1",
            )
            run_cli([*cli, "db", "migrate"], env, workdir, 120)
            app_env = dict(env, RIIR_HOP_TRACE=str(trace))
            app_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE / "hop_trace_site"), env.get("PYTHONPATH")]))
            try:
                procs.start("app", [*cli, "app", str(dag_file)], app_env, workdir)

                async def known() -> bool:
                    conn = await asyncpg.connect(dsn)
                    try:
                        return bool(await conn.fetchval("SELECT count(*) FROM dag WHERE dag_id = $1", DAG_ID))
                    finally:
                        await conn.close()

                wait_until(lambda: asyncio.run(known()), 60, "the app to register its DAG", procs.check_alive)

                async def runs() -> None:
                    conn = await asyncpg.connect(dsn)
                    try:
                        for i in range(args.runs):
                            run_cli([*cli, "dags", "trigger", DAG_ID, "-r", f"trace_{i}"], env, workdir, 120)
                            await wait_run(conn, f"trace_{i}", 300, procs)
                    finally:
                        await conn.close()

                asyncio.run(runs())
                time.sleep(0.5)
            finally:
                procs.stop()
        statements = read_trace(trace)
        found = hops(statements)
        if not found:
            print("no hop found in the trace")
            return 1
        counts = [len(h) for h in found]
        spans = [(h[-1].start - h[0].start) * 1000 for h in found]
        in_db = [sum(s.end - s.start for s in h[:-1]) * 1000 for h in found]
        print(f"{len(found)} hops; load average {load_before} -> {os.getloadavg()}")
        print(f"round trips per hop (result write .. start_try, both counted): median {statistics.median(counts)}, "
              f"min {min(counts)}, max {max(counts)}")  # fmt: skip
        print(f"result write start -> start_try sent: median {statistics.median(spans):.2f} ms "
              f"(waiting on PostgreSQL {statistics.median(in_db):.2f} ms)")  # fmt: skip
        ordered = sorted(found, key=lambda h: h[-1].start - h[0].start)
        for hop in ordered[len(ordered) // 2 : len(ordered) // 2 + args.show]:
            print(f"median hop, {len(hop)} statements:\n{describe(hop)}")
            if args.cycle:
                # Everything the app sent from the previous start to this hop's (the try's life included).
                before = [s for s in statements if s.start < hop[0].start and START_MARK in s.text]
                if before:
                    cycle = [s for s in statements if before[-1].start <= s.start <= hop[-1].start]
                    print(f"its whole cycle (previous start .. this start), {len(cycle)} statements:")
                    print(describe(cycle))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
