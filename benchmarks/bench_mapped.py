"""Mapped-task throughput: one no-op task mapped over range(N) through one DAG app, in tasks per second, side by side
with Airflow 3.3.2's LocalExecutor at the same parallelism, PostgreSQL on both sides.

    python benchmarks/bench_mapped.py [--tasks 10000] [--repeat 3] [--parallelism 32]
                                      [--airflow-tasks 1000] [--airflow-repeat 1] [--riir-only | --airflow-only]
    python benchmarks/bench_mapped.py --riir-only --repeat 0 --profile 600   # where the app's time goes at N
    python benchmarks/bench_mapped.py --tasks 10000 --airflow-tasks 10000 --repeat 1 --airflow-window 300 \
        --name mapped_10000                                                   # both at N=10,000, Airflow windowed

The DAG (the same file both sides) is `noop.expand(x=list(range(N)))` with `max_active_tasks` = `--parallelism`;
each side also gets `[core] parallelism` = `--parallelism` (riir: the app's; Airflow: the LocalExecutor's worker
count). The systems are started as `bench_app.py` starts them (riir: broker + one DAG app; Airflow: api-server,
scheduler, dag-processor, triggerer), once per side and size; then the DAG is triggered `--repeat` times, one run
after the other. Throughput = N / (dag_run end_date - start_date), the run's own stamps; CPU = every process of the
side from trigger to success (PostgreSQL not counted).

One Airflow run of 10,000 mapped tasks takes far more than ten minutes on a small machine, so Airflow runs
`--airflow-tasks` (default 1,000) and riir runs that size too: the side-by-side figures are like with like, and
riir's 10,000 figure stands next to them. With `--airflow-window`, Airflow's run is measured over that window
instead (tasks finished in it per second, from its first finished task) and then abandoned: a steady-state rate at
the full size, without waiting the half hour its whole run takes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402
from bench_app import AIRFLOW_VERSION, System, airflow_system, riir_system  # noqa: E402
from harness import run_cli  # noqa: E402

DAG_ID = "bench_mapped"
PROFILE_SITE = HERE / "profile_site"
# The run's mapped task instances that succeeded ($1 = dag_id, $2 = run_id).
MAPPED_DONE = (
    "SELECT count(*) FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND state = 'success' AND map_index >= 0"
)


def dag_source(n: int, parallelism: int) -> str:
    return f"""import datetime

from airflow.sdk import dag, task


@task
def noop(x):
    return None


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False, max_active_tasks={parallelism})
def {DAG_ID}():
    noop.expand(x=list(range({n})))


{DAG_ID}()
"""


@dataclass
class Runs:
    """What one side measured at one size, per run."""

    side: str
    tasks: int
    tasks_per_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    error: str | None = None


async def wait_and_read(dsn: str, run_id: str, tasks: int, timeout: float, system: System) -> float:
    """Waits for the run to succeed; its throughput from the run's own start and end stamps."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout
        while True:
            state = await conn.fetchval("SELECT state FROM dag_run WHERE dag_id = $1 AND run_id = $2", DAG_ID, run_id)
            if state in ("success", "failed"):
                break
            system.procs.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} did not finish in {timeout:.0f}s")
            await asyncio.sleep(0.5)
        if state != "success":
            raise RuntimeError(f"run {run_id} ended {state}")
        done = await conn.fetchval(MAPPED_DONE, DAG_ID, run_id)
        if done != tasks:
            raise RuntimeError(f"run {run_id}: {done} mapped task instances succeeded, expected {tasks}")
        run = await conn.fetchrow(
            "SELECT start_date, end_date FROM dag_run WHERE dag_id = $1 AND run_id = $2", DAG_ID, run_id
        )
        return tasks / (run["end_date"] - run["start_date"]).total_seconds()
    finally:
        await conn.close()


async def steady_rate(dsn: str, run_id: str, window: float, system: System) -> tuple[float, int]:
    """Tasks finished per second over `window` seconds of a run already under way (from its first finished mapped
    task on), and how many had finished when the window closed; the run is left running."""
    conn = await asyncpg.connect(dsn)
    try:
        while (start_done := await conn.fetchval(MAPPED_DONE, DAG_ID, run_id)) == 0:
            system.procs.check_alive()
            await asyncio.sleep(0.5)
        started = time.monotonic()
        await asyncio.sleep(window)
        done = await conn.fetchval(MAPPED_DONE, DAG_ID, run_id)
        return (done - start_done) / (time.monotonic() - started), done
    finally:
        await conn.close()


def drive_window(system: System, runs: Runs, window: float) -> None:
    """One run, measured over a window instead of to its end (Airflow at N=10,000 takes over half an hour here)."""
    run_id = f"mapped_{runs.tasks}_window"
    run_cli([*system.trigger, DAG_ID, "-r", run_id], system.env, system.home, 300)
    rate, done = asyncio.run(steady_rate(system.dsn, run_id, window, system))
    runs.tasks_per_s.append(rate)
    print(
        f"  {runs.side} N={runs.tasks}: {rate:,.2f} tasks/s over {window:.0f} s ({done:,} done), "
        f"load {measure.loadavg()[0]}",
        flush=True,
    )


def drive(system: System, runs: Runs, repeat: int, timeout: float) -> None:
    for i in range(repeat):
        run_id = f"mapped_{runs.tasks}_{i}"
        cpu = measure.tree_cpu_seconds(system.procs.pids)
        run_cli([*system.trigger, DAG_ID, "-r", run_id], system.env, system.home, 300)
        rate = asyncio.run(wait_and_read(system.dsn, run_id, runs.tasks, timeout, system))
        runs.tasks_per_s.append(rate)
        runs.cpu_s.append(measure.tree_cpu_seconds(system.procs.pids) - cpu)
        print(
            f"  {runs.side} N={runs.tasks} run {i + 1}/{repeat}: {rate:,.1f} tasks/s, CPU {runs.cpu_s[-1]:.1f} s, "
            f"load {measure.loadavg()[0]}",
            flush=True,
        )


def profile_run(system: System, tasks: int, seconds: float, out: Path) -> str:
    """Triggers a run and profiles the app (CPU time) for `seconds` of it, or until it ends; the run is left
    unfinished (the system is stopped next). Returns how far the run got."""
    run_id = f"profiled_{tasks}"
    run_cli([*system.trigger, DAG_ID, "-r", run_id], system.env, system.home, 300)

    async def progress() -> tuple[str, int]:
        conn = await asyncpg.connect(system.dsn)
        try:
            state = await conn.fetchval("SELECT state FROM dag_run WHERE dag_id = $1 AND run_id = $2", DAG_ID, run_id)
            done = await conn.fetchval(
                "SELECT count(*) FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND state = 'success'",
                DAG_ID,
                run_id,
            )
            return str(state), int(done)
        finally:
            await conn.close()

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and asyncio.run(progress())[0] == "running":
        system.procs.check_alive()
        time.sleep(2)
    app = next(proc for name, proc in system.procs.procs.items() if name.startswith("app"))
    app.send_signal(signal.SIGUSR1)
    time.sleep(5)  # the app dumps between two steps of its loop
    state, done = asyncio.run(progress())
    return f"profiled {seconds:.0f} s of a run of {tasks:,} mapped tasks: {done:,} done, run {state}"


def bench_riir(workdir: Path, tasks: int, args: argparse.Namespace, profile: Path | None = None) -> Runs:
    runs = Runs("riir-airflow", tasks)
    extra = {
        "AIRFLOW__CORE__PARALLELISM": str(args.parallelism),
        "AIRFLOW__CORE__MAX_MAP_LENGTH": str(max(tasks, 1024)),
    }
    if profile is not None:
        extra.update(PYTHONPATH=str(PROFILE_SITE), RIIR_BENCH_PROFILE=str(profile))
    files = {f"{DAG_ID}.py": dag_source(tasks, args.parallelism)}
    try:
        home = workdir / (f"riir-{tasks}-profiled" if profile else f"riir-{tasks}")
        with riir_system(home, files, DAG_ID, extra) as system:
            if profile is None:
                drive(system, runs, args.repeat, args.timeout)
            else:
                print("  " + profile_run(system, tasks, args.profile, profile), flush=True)
    except Exception as exc:  # report the other figures anyway
        runs.error = f"{type(exc).__name__}: {exc}"
    return runs


def bench_airflow(workdir: Path, tasks: int, args: argparse.Namespace) -> Runs:
    runs = Runs(f"airflow {AIRFLOW_VERSION}", tasks)
    extra = {
        "AIRFLOW__CORE__PARALLELISM": str(args.parallelism),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(args.parallelism),
        "AIRFLOW__CORE__MAX_MAP_LENGTH": str(max(tasks, 1024)),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
    files = {f"{DAG_ID}.py": dag_source(tasks, args.parallelism)}
    try:
        with airflow_system(workdir / f"airflow-{tasks}", files, DAG_ID, extra) as system:
            if args.airflow_window:
                drive_window(system, runs, args.airflow_window)
            else:
                drive(system, runs, args.airflow_repeat, args.timeout)
    except Exception as exc:
        runs.error = f"{type(exc).__name__}: {exc}"
    return runs


def print_profile(path: Path, top: int = 25) -> list[str]:
    """The app's hottest functions by own time and by cumulative time."""
    lines: list[str] = []
    for part in sorted(path.parent.glob(path.name + ".*")):
        stats = pstats.Stats(str(part))
        total = stats.total_tt  # type: ignore[attr-defined]
        print(f"\nprofile of {part.name}: {total:.1f} s of CPU in Python functions")
        for sort in ("tottime", "cumulative"):
            print(f"--- top {top} by {sort}")
            stats.sort_stats(sort).print_stats(top)
        lines.append(f"{part.name}: {total:.1f} s profiled")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sides = parser.add_mutually_exclusive_group()
    sides.add_argument("--riir-only", action="store_true", help="skip Airflow")
    sides.add_argument("--airflow-only", action="store_true", help="skip riir-airflow")
    parser.add_argument("--tasks", type=int, default=10_000, help="map length for riir (default 10,000)")
    parser.add_argument("--repeat", type=int, default=3, help="riir runs per size (default 3)")
    parser.add_argument("--airflow-tasks", type=int, default=1000, help="map length both sides run (default 1,000)")
    parser.add_argument("--airflow-repeat", type=int, default=1, help="Airflow runs (default 1)")
    parser.add_argument("--parallelism", type=int, default=32, help="parallelism = max_active_tasks (default 32)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="limit for one run")
    parser.add_argument(
        "--profile",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="then profile riir's app (cProfile, CPU time) for SECONDS of one more run at --tasks",
    )
    parser.add_argument(
        "--airflow-window",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="measure Airflow's one run over SECONDS from its first finished task instead of to its end",
    )
    parser.add_argument("--name", default="mapped", help="results file benchmarks/.out/NAME.json (default mapped)")
    args = parser.parse_args()

    run = measure.Run(
        args.name,
        {"tasks": args.tasks, "airflow_tasks": args.airflow_tasks, "repeat": args.repeat,
         "airflow_repeat": args.airflow_repeat, "parallelism": args.parallelism},
    )  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="bench-mapped-"))
    results: list[Runs] = []
    try:
        if not args.airflow_only and args.repeat > 0:
            print(f"riir-airflow: {args.repeat} runs of {args.tasks:,} mapped tasks ...", flush=True)
            results.append(bench_riir(workdir, args.tasks, args))
            if args.airflow_tasks != args.tasks and not args.riir_only:
                print(f"riir-airflow: {args.repeat} runs of {args.airflow_tasks:,} (Airflow's size) ...", flush=True)
                results.append(bench_riir(workdir, args.airflow_tasks, args))
        if not args.riir_only:
            print(f"airflow: {args.airflow_repeat} runs of {args.airflow_tasks:,} mapped tasks ...", flush=True)
            results.append(bench_airflow(workdir, args.airflow_tasks, args))
        window = f", Airflow over a {args.airflow_window:.0f} s window" if args.airflow_window else ""
        for size in sorted({r.tasks for r in results}, reverse=True):
            riir = next((r for r in results if r.tasks == size and r.side.startswith("riir") and not r.error), None)
            air = next((r for r in results if r.tasks == size and r.side.startswith("airflow") and not r.error), None)
            if riir is None and air is None:
                continue
            label = f"N={size:,} mapped no-op tasks"
            air_window = air is not None and args.airflow_window > 0
            run.figure(f"{label}: throughput{window if air_window else ''}", "tasks/s", riir and riir.tasks_per_s,
                       air and air.tasks_per_s, lower_is_better=False)  # fmt: skip
            run.figure(f"{label}: CPU of the system per run", "s", riir and riir.cpu_s,
                       None if air_window else air and air.cpu_s)  # fmt: skip
        for r in results:
            if r.error:
                run.notes.append(f"{r.side} N={r.tasks} FAILED: {r.error}")
        sizes = (
            ""
            if args.airflow_window
            else f" Airflow runs N={args.airflow_tasks:,} only (one 10,000 run takes far over 10 min here); riir "
            "runs that size too, so the side-by-side row compares like with like."
        )
        run.notes.append(
            f"One task mapped over range(N), parallelism = max_active_tasks = {args.parallelism}; riir = broker + one "
            "DAG app, Airflow = api-server, scheduler (LocalExecutor), dag-processor, triggerer; both on PostgreSQL."
            + sizes
        )
        if args.airflow_window:
            run.notes.append(
                f"Airflow's throughput is measured over {args.airflow_window:.0f} s of its run, from its first "
                "finished mapped task (tasks finished in the window / its length); its run is then stopped "
                "unfinished, so no CPU per run. riir's is its whole run, start to end (start-up included)."
            )
        if args.profile and not args.airflow_only:
            profile = workdir / "app.prof"
            print(f"riir-airflow: profiling {args.profile:.0f} s of a run of {args.tasks:,} ...", flush=True)
            profiled = bench_riir(workdir, args.tasks, args, profile)
            if profiled.error:
                run.notes.append(f"profiled run FAILED: {profiled.error}")
            run.notes.extend(print_profile(profile))
        print(f"results: {run.save()}")
        run.print_table()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
