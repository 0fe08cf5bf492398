"""Where the CPU of a mapped run goes, per task: `bench_mapped.py`'s DAG through one app on a private PostgreSQL.

    python benchmarks/mapped_breakdown.py [--tasks 1000] [--parallelism 32] [--runs 1] [--top 20] [--profile LINES]

One no-op task mapped over range(N) runs through broker + one DAG app (as bench_mapped starts them) against a
throw-away PostgreSQL server of its own (bench_many_apps.py's), so that every process's CPU can be told apart. For
each run it prints CPU per mapped task instance (ms) of: the app process, its fork server, the task processes (the
fork server's reaped children, of which in the kernel, and their page faults: copy-on-write of the template's pages
is most of that kernel time), the broker, and the PostgreSQL server (every backend, reaped ones included); the
statements the app sent per task (pg_stat_statements: calls and execution time, most frequent first); and the
run's throughput. `--profile`: the app process runs under cProfile (profile_site/) and its hottest functions for the
last run follow (cProfile slows the app: throughput and the app's CPU are then not comparable with a plain run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import pstats
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_app  # noqa: E402
import harness  # noqa: E402
import measure  # noqa: E402
from bench_many_apps import observer_admin_dsn, private_postgres, reset_statements  # noqa: E402
from bench_mapped import DAG_ID, PROFILE_SITE, dag_source, wait_and_read  # noqa: E402


def own_ticks(pid: int) -> int:
    return measure.cpu_ticks(pid, with_reaped_children=False)


def reaped_ticks(pid: int) -> tuple[int, int, int]:
    """CPU of the process's children that exited and were reaped (cutime, cstime), and their minor page faults."""
    fields = measure._stat_fields(pid)
    return (0, 0, 0) if fields is None else (int(fields[13]), int(fields[14]), int(fields[8]))


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@dataclass
class Sample:
    """CPU ticks so far of each part of the system; the page faults of the task processes reaped so far."""

    app: int
    fork_server: int
    tasks: int  # reaped by the fork server, plus those alive now
    tasks_kernel: int  # of which in the kernel (stime of those reaped)
    broker: int
    postgres: int
    task_page_faults: int

    def minus(self, other: Sample) -> tuple[dict[str, float], int]:
        """CPU seconds of each part since `other`, and the task processes' page faults."""
        names = [name for name in self.__dataclass_fields__ if name != "task_page_faults"]
        used = {name: (getattr(self, name) - getattr(other, name)) / measure.CLK_TCK for name in names}
        return used, self.task_page_faults - other.task_page_faults


def sample(app: int, broker: int, postgres: int) -> Sample:
    children = measure.children_map()
    servers = [pid for pid in children.get(app, []) if comm(pid) == "riir-fork-srv"]
    server_own = sum(own_ticks(pid) for pid in servers)
    reaped = [reaped_ticks(pid) for pid in servers]
    tasks = sum(user + system for user, system, _ in reaped)
    for server in servers:  # tasks still running (and the spare), and the PID namespace's init
        tasks += sum(measure.cpu_ticks(pid) for pid in measure.process_tree(children.get(server, [])))
    return Sample(
        app=own_ticks(app),
        fork_server=server_own,
        tasks=tasks,
        tasks_kernel=sum(system for _, system, _ in reaped),
        broker=measure.cpu_ticks(broker),
        postgres=sum(measure.cpu_ticks(pid) for pid in measure.process_tree([postgres])),
        task_page_faults=sum(faults for _, _, faults in reaped),
    )


async def statement_stats(dsn: str) -> list[tuple[int, float, str]]:
    """(calls, total execution ms, query) of the metastore's statements since the last reset, most called first."""
    conn = await asyncpg.connect(observer_admin_dsn(dsn))
    try:
        rows = await conn.fetch(
            "SELECT sum(calls) AS calls, sum(total_exec_time) AS ms, query FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid JOIN pg_roles r ON r.oid = s.userid "
            "WHERE d.datname = $1 AND r.rolname = 'postgres' GROUP BY query ORDER BY 1 DESC",
            dsn.rsplit("/", 1)[1],
        )
        return [(int(r["calls"]), float(r["ms"]), str(r["query"])) for r in rows]
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--parallelism", type=int, default=32)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--top", type=int, default=20, help="statements shown")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="LINES", help="the app under cProfile; its LINES hottest functions"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mapped-breakdown-"))
    extra = {
        "AIRFLOW__CORE__PARALLELISM": str(args.parallelism),
        "AIRFLOW__CORE__MAX_MAP_LENGTH": str(max(args.tasks, 1024)),
    }
    profile = workdir / "app.prof"
    if args.profile:
        extra.update(PYTHONPATH=str(PROFILE_SITE), RIIR_BENCH_PROFILE=str(profile))
    n = args.tasks
    with private_postgres(workdir, 50) as (url, postgres_pid):
        # The systems' databases on the private server (bench_app's riir_system makes one on the default server).
        bench_app.database = functools.partial(harness.database, server=url)  # type: ignore[assignment]
        files = {f"{DAG_ID}.py": dag_source(n, args.parallelism)}
        with bench_app.riir_system(workdir / "riir", files, DAG_ID, extra) as system:
            app = next(p.pid for name, p in system.procs.procs.items() if name.startswith("app"))
            broker = system.procs.procs["broker"].pid
            time.sleep(2)  # the app's start-up settles
            for i in range(args.runs):
                run_id = f"breakdown_{i}"
                asyncio.run(reset_statements(system.dsn))
                before = sample(app, broker, postgres_pid)
                load = measure.loadavg()[0]
                harness.run_cli([*system.trigger, DAG_ID, "-r", run_id], system.env, system.home, 300)
                rate = asyncio.run(wait_and_read(system.dsn, run_id, n, 3600, system))
                used, faults = sample(app, broker, postgres_pid).minus(before)
                found = asyncio.run(statement_stats(system.dsn))
                total = sum(s for name, s in used.items() if name != "tasks_kernel")
                print(f"\nrun {i + 1}: N={n:,} parallelism {args.parallelism}: {rate:.1f} tasks/s, load {load} -> "
                      f"{measure.loadavg()[0]}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")  # fmt: skip
                print(f"  CPU per task: {1000 * total / n:.1f} ms = "
                      + ", ".join(f"{name} {1000 * s / n:.1f}" for name, s in used.items())
                      + f"; {faults / n:,.0f} page faults per task process")  # fmt: skip
                calls = sum(c for c, _, _ in found)
                ms = sum(t for _, t, _ in found)
                print(f"  statements per task: {calls / n:.2f} ({ms / n:.2f} ms of execution); most frequent:")
                for c, t, query in found[: args.top]:
                    print(f"    {c / n:7.3f}  {t / n:6.3f} ms  {' '.join(query.split())[:120]}")
            if args.profile:
                proc = system.procs.procs[next(name for name in system.procs.procs if name.startswith("app"))]
                proc.send_signal(signal.SIGUSR1)
                time.sleep(3)
    if args.profile:
        for part in sorted(profile.parent.glob(profile.name + ".*")):
            stats = pstats.Stats(str(part))
            for sort in ("tottime", "cumulative"):
                print(f"--- app profile, top {args.profile} by {sort}")
                stats.sort_stats(sort).print_stats(args.profile)
    with contextlib.suppress(OSError):
        import shutil

        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
