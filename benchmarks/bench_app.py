"""Task hop latency, CPU per run and idle footprint: riir-airflow (broker + one DAG app) vs Airflow 3.3.2 (every
component `airflow standalone` starts), the same DAG, PostgreSQL on both sides.

    python benchmarks/bench_app.py [--quick] [--repeat 5] [--tasks 20] [--riir-only | --airflow-only]
    python benchmarks/bench_app.py --tasks 100          # the full size the README quotes

The DAG is a chain of N no-op @task written with `from airflow.sdk import ...`, run unchanged by both. Each side
gets a fresh database on the machine's PostgreSQL (127.0.0.1:5432), starts its processes once, then triggers the
DAG `--repeat` times one after the other (each run waits for the previous one to succeed).

- riir: `riir-airflow broker` + `riir-airflow app FILE` (its fork server and task processes are in the app's tree).
- Airflow: api-server (Execution API), scheduler (LocalExecutor and its workers), dag-processor, triggerer, each
  with a private AIRFLOW_HOME; the reference venv from compat-tests/airflow_env.py.

Per run: hop = start_date(task i+1) - end_date(task i), read from task_instance (median and p90 over the N-1 hops
of the run); wall/N = (dag_run end_date - start_date) / N; CPU = utime+stime of every process of the side (reaped
task processes included) from trigger to success. The two sides stamp start/end at different points (riir stamps
start before handing the try to its task process and end once that process has sent its result and closed its
channel and output, so the start lands in the task's duration, not in the hop), which is why wall/N, which does not
depend on stamping, is printed next to the hop.
Idle: after the runs, `--idle-windows` windows of `--idle-seconds` each: PSS summed over every process of the side
(measure.py explains why PSS), process count, CPU as % of one core.
PostgreSQL's own CPU and memory are not counted on either side. The trigger CLI is not counted on either side.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "compat-tests"))
sys.path.insert(0, str(HERE))

import measure  # noqa: E402
from airflow_env import AIRFLOW_VERSION, VENV, airflow_env, airflow_python  # noqa: E402
from harness import Processes, database, free_port, riir_cli, run_cli, wait_until  # noqa: E402

DAG_ID = "bench_app_chain"
IDLE_AFTER_RUNS_S = 12.0  # riir closes an idle fork server after 10 s (app/executor.py); then it is idle


def dag_source(n: int) -> str:
    return f"""import datetime

from airflow.sdk import dag, task


@task
def noop():
    return None


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def {DAG_ID}():
    prev = None
    for i in range({n}):
        t = noop.override(task_id=f"t{{i:03d}}")()
        if prev is not None:
            prev >> t
        prev = t


{DAG_ID}()
"""


@dataclass
class Side:
    """What one side measured, per repetition."""

    name: str
    hop_median_ms: list[float] = field(default_factory=list)
    hop_p90_ms: list[float] = field(default_factory=list)
    wall_per_task_ms: list[float] = field(default_factory=list)
    task_duration_ms: list[float] = field(default_factory=list)
    run_cpu_s: list[float] = field(default_factory=list)
    trigger_to_done_s: list[float] = field(default_factory=list)
    idle: list[measure.Footprint] = field(default_factory=list)
    # riir only: the DAG app's own processes, sampled after `idle`: what one app costs without the broker, as in
    # a pod of its own (its RSS then: nothing it maps is shared with another process of the pod).
    app_alone: list[measure.Footprint] = field(default_factory=list)
    error: str | None = None


# --- database reads -------------------------------------------------------------------------------------------------
async def read_run(conn: asyncpg.Connection, run_id: str, tasks: int, side: Side) -> None:
    rows = await conn.fetch(
        "SELECT task_id, start_date, end_date FROM task_instance WHERE dag_id = $1 AND run_id = $2 ORDER BY task_id",
        DAG_ID,
        run_id,
    )
    run = await conn.fetchrow(
        "SELECT start_date, end_date FROM dag_run WHERE dag_id = $1 AND run_id = $2", DAG_ID, run_id
    )
    if len(rows) != tasks or any(r["start_date"] is None or r["end_date"] is None for r in rows):
        raise RuntimeError(f"run {run_id}: expected {tasks} finished task instances, found {len(rows)}")
    hops = [(b["start_date"] - a["end_date"]).total_seconds() * 1000 for a, b in itertools.pairwise(rows)]
    side.hop_median_ms.append(statistics.median(hops))
    side.hop_p90_ms.append(measure.percentile(hops, 0.9))
    side.task_duration_ms.append(
        statistics.median((r["end_date"] - r["start_date"]).total_seconds() * 1000 for r in rows)
    )
    side.wall_per_task_ms.append((run["end_date"] - run["start_date"]).total_seconds() * 1000 / tasks)


async def wait_run(conn: asyncpg.Connection, run_id: str, timeout: float, procs: Processes) -> None:
    deadline = time.monotonic() + timeout
    while True:
        state = await conn.fetchval("SELECT state FROM dag_run WHERE dag_id = $1 AND run_id = $2", DAG_ID, run_id)
        if state in ("success", "failed"):
            if state != "success":
                raise RuntimeError(f"run {run_id} ended {state}")
            return
        procs.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} did not finish in {timeout:.0f}s")
        await asyncio.sleep(0.2)


async def dag_known(dsn: str, dag_id: str = DAG_ID) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM dag WHERE dag_id = $1", dag_id))
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


# --- the shared part: trigger, wait, read, then idle ----------------------------------------------------------------
def drive(
    side: Side,
    dsn: str,
    procs: Processes,
    trigger: list[str],
    env: dict[str, str],
    cwd: Path,
    args: argparse.Namespace,
) -> None:
    async def runs() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            for i in range(args.repeat):
                run_id = f"bench_{i}"
                cpu = measure.tree_cpu_seconds(procs.pids)
                started = time.monotonic()
                run_cli([*trigger, DAG_ID, "-r", run_id], env, cwd, 300)
                await wait_run(conn, run_id, args.timeout, procs)
                side.trigger_to_done_s.append(time.monotonic() - started)
                side.run_cpu_s.append(measure.tree_cpu_seconds(procs.pids) - cpu)
                await read_run(conn, run_id, args.tasks, side)
                print(
                    f"  {side.name} run {i + 1}/{args.repeat}: hop median {side.hop_median_ms[-1]:.1f} ms, "
                    f"wall/N {side.wall_per_task_ms[-1]:.1f} ms, load {measure.loadavg()[0]}",
                    flush=True,
                )
        finally:
            await conn.close()

    asyncio.run(runs())
    # Idle is after the last run's bookkeeping and after riir's app has closed its fork server, which it does
    # `[riir] fork_server_idle_seconds` (10 s by default) after its last work; both sides wait the same.
    time.sleep(IDLE_AFTER_RUNS_S)
    for _ in range(args.idle_windows):
        side.idle.append(measure.sample_footprint(procs.pids, args.idle_seconds))
    app_pids = [proc.pid for name, proc in procs.procs.items() if name.startswith("app ")]
    for _ in range(args.idle_windows if app_pids else 0):
        side.app_alone.append(measure.sample_footprint(app_pids, args.idle_seconds))


@dataclass
class System:
    """One side's processes, started and serving a DAG: its database, environment and trigger command."""

    dsn: str
    procs: Processes
    env: dict[str, str]
    home: Path
    trigger: list[str]


@contextlib.contextmanager
def riir_system(home: Path, dag_files: dict[str, str], dag_id: str, extra_env: dict[str, str] | None = None,
                app_args: Sequence[str] = ()) -> Iterator[System]:  # fmt: skip
    """`riir-airflow broker` + `riir-airflow app` over the DAG files (name -> source), on a fresh database, until
    `dag_id` is registered; stopped (and the database dropped) on exit."""
    home.mkdir(parents=True)
    for name, source in dag_files.items():
        (home / name).write_text(source)
    cli = riir_cli()
    port = free_port()
    procs = Processes(home)
    with database("bench_riir") as dsn:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn,
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            RIIR_AIRFLOW_COMPAT="1",
            **(extra_env or {}),
        )
        try:
            run_cli([*cli, "db", "migrate"], env, home, 120)
            procs.start("broker", [*cli, "broker", "-H", "127.0.0.1", "-p", str(port)], env, home)
            for name in dag_files:
                procs.start(f"app {name}", [*cli, "app", str(home / name), *app_args], env, home)
            url = f"http://127.0.0.1:{port}/api/v2/monitor/health"
            wait_until(lambda: healthy(url), 60, "the broker", procs.check_alive)
            wait_until(
                lambda: asyncio.run(dag_known(dsn, dag_id)), 60, "the app to register its DAG", procs.check_alive
            )
            yield System(dsn, procs, env, home, [*cli, "dags", "trigger"])
        finally:
            procs.stop()


@contextlib.contextmanager
def airflow_system(home: Path, dag_files: dict[str, str], dag_id: str,
                   extra_env: dict[str, str] | None = None) -> Iterator[System]:  # fmt: skip
    """Airflow's api-server, scheduler (LocalExecutor), dag-processor and triggerer over the DAG files, on a fresh
    database, until `dag_id` is parsed and unpaused; stopped (and the database dropped) on exit."""
    python = airflow_python()
    probe = subprocess.run([str(python), "-c", "import psycopg2, asyncpg"], capture_output=True, check=False)
    if probe.returncode != 0:
        # The Postgres drivers Airflow needs (sync and async engines); into the reference venv only.
        subprocess.run([str(python), "-m", "pip", "install", "-q", "psycopg2-binary", "asyncpg"], check=True)
    dags = home / "dags"
    dags.mkdir(parents=True)
    for name, source in dag_files.items():
        (dags / name).write_text(source)
    airflow = [str(VENV / "bin" / "airflow")]
    port = free_port()
    procs = Processes(home)
    with database("bench_airflow") as dsn:
        env = airflow_env(home)
        env.update(
            # SQLAlchemy 2.1 defaults postgresql:// to psycopg 3; name the driver installed above.
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn.replace("postgresql://", "postgresql+psycopg2://", 1),
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__DAGS_FOLDER=str(dags),
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(port),
            AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
            # One secret for every process, so the api-server accepts the scheduler's task tokens.
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(64),
            AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
            AIRFLOW__CORE__FERNET_KEY="",
            **(extra_env or {}),
        )
        try:
            run_cli([*airflow, "db", "migrate"], env, home, 900)
            for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
                procs.start(name, [*airflow, name], env, home)
            url = f"http://127.0.0.1:{port}/api/v2/monitor/health"
            wait_until(lambda: healthy(url), 300, "the api-server", procs.check_alive)
            wait_until(lambda: asyncio.run(dag_known(dsn, dag_id)), 300, "the DAG to be parsed", procs.check_alive)
            run_cli([*airflow, "dags", "unpause", dag_id], env, home, 300)
            yield System(dsn, procs, env, home, [*airflow, "dags", "trigger"])
        finally:
            procs.stop()


def bench_riir(args: argparse.Namespace, workdir: Path) -> Side:
    side = Side("riir-airflow")
    with riir_system(workdir / "riir", {f"{DAG_ID}.py": dag_source(args.tasks)}, DAG_ID) as system:
        drive(side, system.dsn, system.procs, system.trigger, system.env, system.home, args)
    return side


def bench_airflow(args: argparse.Namespace, workdir: Path) -> Side:
    side = Side(f"airflow {AIRFLOW_VERSION}")
    with airflow_system(workdir / "airflow", {f"{DAG_ID}.py": dag_source(args.tasks)}, DAG_ID) as system:
        drive(side, system.dsn, system.procs, system.trigger, system.env, system.home, args)
    return side


# --- report ---------------------------------------------------------------------------------------------------------
def record(run: measure.Run, sides: list[Side]) -> None:
    riir = next((s for s in sides if s.name.startswith("riir") and not s.error), None)
    air = next((s for s in sides if s.name.startswith("airflow") and not s.error), None)

    def both(attr: str) -> tuple[list[float] | None, list[float] | None]:
        return (getattr(riir, attr) if riir else None, getattr(air, attr) if air else None)

    def idle(attr: str) -> tuple[list[float] | None, list[float] | None]:
        return (
            [getattr(f, attr) for f in riir.idle] if riir else None,
            [getattr(f, attr) for f in air.idle] if air else None,
        )

    run.figure("hop median, per run", "ms", *both("hop_median_ms"), target="<= 3")
    run.figure("hop p90, per run", "ms", *both("hop_p90_ms"))
    run.figure("run wall / N tasks", "ms", *both("wall_per_task_ms"))
    run.figure("task duration median, per run", "ms", *both("task_duration_ms"))
    run.figure("CPU of the system per run", "s", *both("run_cpu_s"))
    run.figure("trigger CLI -> success seen", "s", *both("trigger_to_done_s"))
    run.figure("idle PSS, every process", "MB", *idle("pss_mb"), target="<= 60")
    run.figure("idle RSS summed (double-counts shared)", "MB", *idle("rss_mb"))
    run.figure("idle processes", "count", *idle("processes"))
    run.figure("idle CPU", "% of a core", *idle("cpu_pct"), target="< 0.5")
    if riir and riir.app_alone:
        run.figure("idle PSS, the DAG app alone", "MB", [f.pss_mb for f in riir.app_alone], None)
        run.figure("idle RSS, the DAG app alone (a pod of its own)", "MB",
                   [f.rss_mb for f in riir.app_alone], None)  # fmt: skip
        run.figure("idle processes, the DAG app alone", "count", [f.processes for f in riir.app_alone], None)
    for s in sides:
        if s.error:
            run.notes.append(f"{s.name} FAILED: {s.error}")
    run.notes.append(
        "riir = broker + one DAG app (+ its fork server and task processes); Airflow = api-server, scheduler "
        "(LocalExecutor), dag-processor, triggerer. Hop = start(n+1) - end(n) from task_instance."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sides_group = parser.add_mutually_exclusive_group()
    sides_group.add_argument("--riir-only", action="store_true", help="skip Airflow")
    sides_group.add_argument("--airflow-only", action="store_true", help="skip riir-airflow")
    parser.add_argument("--tasks", type=int, default=20, help="length of the chain (default 20; the README uses 100)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per side (default 5)")
    parser.add_argument("--quick", action="store_true", help="one run, one short idle window")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="length of one idle window (default 10)")
    parser.add_argument("--idle-windows", type=int, default=3, help="idle windows sampled (default 3)")
    parser.add_argument("--timeout", type=float, default=900.0, help="limit for one run to finish")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) and print its path")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.idle_windows, args.idle_seconds = 1, 1, min(args.idle_seconds, 5.0)

    run = measure.Run(
        "app", {"tasks": args.tasks, "repeat": args.repeat, "idle": f"{args.idle_windows}x{args.idle_seconds:.0f}s"}
    )
    workdir = Path(tempfile.mkdtemp(prefix="bench-app-"))
    plan = []
    if not args.airflow_only:
        plan.append(("riir-airflow", bench_riir))
    if not args.riir_only:
        plan.append((f"airflow {AIRFLOW_VERSION}", bench_airflow))
    sides: list[Side] = []
    try:
        for name, bench in plan:
            print(f"running {name} ({args.repeat} runs of {args.tasks} tasks) ...", flush=True)
            try:
                sides.append(bench(args, workdir))
            except Exception as exc:  # report the other side anyway
                sides.append(Side(name, error=f"{type(exc).__name__}: {exc}"))
        record(run, sides)
        print(f"results: {run.save()}")
        run.print_table()
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(s.error for s in sides) else 0


if __name__ == "__main__":
    sys.exit(main())
