"""Where one DAG app's CPU goes in a scheduled tick: cProfile from the timetable's fire to the run's end.

    python benchmarks/profile_tick.py [--ticks 3] [--schedule cron|10s] [--top 35] [--sort tottime]

One app (the DAG of bench_many_apps.py: one no-op @task) runs against a fresh database on the machine's PostgreSQL,
with hooks installed in its process (this file runs as the app: `--inside`). For each tick after the first it prints
the app process's CPU and wall time from the loop turn that creates the run to (a) the first task's process started
and (b) the run finished, and the task process's own CPU (the fork server's exit report). The cProfile of the app
process over (b), summed over the ticks after the first, follows. `--schedule 10s` fires every 10 seconds instead of
every minute (a delta timetable instead of cron: faster to iterate on, slightly different timetable code).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
UNTIL_ENV = "PROFILE_TICK_UNTIL"  # "started": profile up to the first task's start only (--until)
sys.path.insert(0, str(HERE))


def dag_source(schedule: str) -> str:
    if schedule == "cron":
        when, start, catchup = '"* * * * *"', "datetime.datetime(2024, 1, 1)", False
    else:
        # A delta timetable without catchup fires at "now" as computed at each loop turn (never reached): with
        # catchup from the current minute instead, it fires every N seconds from there.
        minute = int(time.time()) // 60 * 60
        when = f"datetime.timedelta(seconds={int(schedule.rstrip('s'))})"
        start, catchup = f"datetime.datetime.fromtimestamp({minute}, datetime.timezone.utc)", True
    return f"""import datetime

from airflow.sdk import dag, task


@task
def noop():
    return None


@dag(dag_id="profile_tick", schedule={when}, start_date={start}, catchup={catchup})
def many():
    noop()


many()
"""


# --- inside the app process ----------------------------------------------------------------------------------------
def install_hooks(out: Path) -> None:
    """Wraps the scheduler's tick, the executor's launch and the run's finish to time and profile each tick."""
    import asyncpg

    from riir_airflow.app import fork_server
    from riir_airflow.app.executor import ForkExecutor
    from riir_airflow.app.scheduler import DagScheduler
    from riir_airflow.engine.metastore_store import MetastoreStore

    profiler = cProfile.Profile(time.process_time)  # CPU, not the loop's waits
    state: dict[str, Any] = {"tick": None, "n": 0, "lines": []}

    # Every statement the app sends during a tick (asyncpg: the extended protocol's _execute, and execute without
    # arguments, a simple query).
    original_execute = asyncpg.connection.Connection._execute
    original_simple = asyncpg.connection.Connection.execute

    def sent(query: str) -> None:
        tick = state["tick"]
        if tick is not None and "finished" not in tick:
            tick.setdefault("statements", []).append(("started" in tick, " ".join(query.split())[:150]))

    async def _execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        sent(query)
        return await original_execute(self, query, *args, **kwargs)

    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if not args:
            sent(query)
        return await original_simple(self, query, *args, **kwargs)

    asyncpg.connection.Connection._execute = _execute  # type: ignore[method-assign]
    asyncpg.connection.Connection.execute = execute  # type: ignore[method-assign]

    def mark(what: str) -> None:
        tick = state["tick"]
        if tick is not None and what not in tick:
            tick[what] = (time.process_time() - tick["cpu0"], time.monotonic() - tick["wall0"])

    original_create = DagScheduler.create_scheduled_runs

    async def create_scheduled_runs(self: Any, now: Any, *, create: bool = True) -> None:
        if create and state["tick"] is None and self.next_fire is not None and now >= self.next_fire:
            state["n"] += 1
            state["tick"] = {"cpu0": time.process_time(), "wall0": time.monotonic(), "n": state["n"]}
            if state["n"] > 1:
                profiler.enable()
        await original_create(self, now, create=create)
        self.next_fire = self.next_wakeup

    DagScheduler.next_fire = None  # type: ignore[attr-defined]
    DagScheduler.create_scheduled_runs = create_scheduled_runs  # type: ignore[method-assign]

    original_launch = ForkExecutor.launch

    def launch(self: Any, *args: Any, **kwargs: Any) -> Any:
        running = original_launch(self, *args, **kwargs)
        mark("started")
        if os.environ.get(UNTIL_ENV) == "started":
            profiler.disable()
        return running

    ForkExecutor.launch = launch  # type: ignore[method-assign]

    original_finish = MetastoreStore.finish_run

    async def finish_run(self: Any, run_id: str, run_state: str) -> bool:
        finished = await original_finish(self, run_id, run_state)
        tick = state["tick"]
        if finished and tick is not None:
            mark("finished")
            profiler.disable()
            started, ended = tick.get("started", (0, 0)), tick["finished"]
            line = (
                f"tick {tick['n']}: app CPU to first task started {1000 * started[0]:.1f} ms "
                f"(wall {1000 * started[1]:.1f} ms); to run finished {1000 * ended[0]:.1f} ms "
                f"(wall {1000 * ended[1]:.1f} ms); task process CPU {1000 * tick.get('child_cpu', 0):.1f} ms"
            )
            state["lines"].append(line)
            for after, query in tick.get("statements", []):
                state["lines"].append(f"    {'after' if after else 'before'} start: {query}")
            print(line, file=sys.stderr, flush=True)
            state["tick"] = None
        return finished

    MetastoreStore.finish_run = finish_run  # type: ignore[method-assign]

    # The fork server reports each task process's CPU with its exit.
    original_receive = fork_server.receive_message

    def receive(sock: Any, flags: int = 0) -> Any:
        message, fds = original_receive(sock, flags)
        tick = state["tick"]
        if message is not None and message.get("op") == "exited" and tick is not None:
            tick["child_cpu"] = tick.get("child_cpu", 0.0) + float(message.get("cpu") or 0.0)
        return message, fds

    fork_server.receive_message = receive

    def dump(*_: Any) -> None:
        profiler.disable()
        text = io.StringIO()
        text.write("\n".join(state["lines"]) + "\n")
        if state["n"] > 1:
            stats = pstats.Stats(profiler, stream=text)
            stats.dump_stats(str(out) + ".prof")
        out.write_text(text.getvalue())

    # Task processes (forked from the fork server, itself a fork of this process, so they inherit this hook): a
    # profile each, written as they exit, for `--child`.
    from riir_airflow.app import child

    original_run_forked = child.run_forked

    def run_forked(*args: Any) -> Any:
        child_profiler = cProfile.Profile(time.process_time)
        real_exit = os._exit

        def exit_after_dump(code: int) -> Any:
            child_profiler.disable()
            child_profiler.dump_stats(f"{out}.child-{os.getpid()}.prof")
            real_exit(code)

        os._exit = exit_after_dump  # type: ignore[assignment]
        child_profiler.enable()
        return original_run_forked(*args)

    child.run_forked = run_forked

    import atexit

    atexit.register(dump)


def inside(path: str, out: str) -> int:
    install_hooks(Path(out))
    from riir_airflow.cli.main import main as cli_main

    return cli_main(["app", path])


# --- the driver ------------------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=3, help="ticks to profile after the first (default 3)")
    parser.add_argument("--schedule", default="cron", help="cron (every minute, default) or Ns (every N seconds)")
    parser.add_argument("--top", type=int, default=35, help="functions to print (default 35)")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (default cumulative)")
    parser.add_argument("--until", choices=("finished", "started"), default="finished",
                        help="profile up to the run's end (default) or the first task's start")  # fmt: skip
    parser.add_argument("--child", action="store_true", help="print the task processes' profile too")
    parser.add_argument("--inside", nargs=2, metavar=("DAG_FILE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        return inside(*args.inside)

    from harness import database, riir_cli, run_cli

    workdir = Path(tempfile.mkdtemp(prefix="profile-tick-"))
    out = workdir / "profile.txt"
    with database("profile_tick") as dsn:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(workdir),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn,
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            RIIR_AIRFLOW_COMPAT="1",
            **{UNTIL_ENV: args.until},
        )
        run_cli([*riir_cli(), "db", "migrate"], env, workdir, 120)
        dag_file = workdir / "profile_tick.py"
        dag_file.write_text(dag_source(args.schedule))
        with open(workdir / "app.log", "wb") as log:
            app = subprocess.Popen(
                [sys.executable, __file__, "--inside", str(dag_file), str(out)],
                env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

        def ticks_done() -> int:
            return (workdir / "app.log").read_text().count("app CPU to first task started")

        try:
            # The first tick is not profiled (first-time reads), the next `--ticks` are.
            while ticks_done() < args.ticks + 1:
                if app.poll() is not None:
                    raise RuntimeError(f"the app exited: {(workdir / 'app.log').read_text()[-3000:]}")
                time.sleep(1)
        finally:
            app.send_signal(signal.SIGTERM)
            app.wait(60)
    print(out.read_text())
    prof = Path(str(out) + ".prof")
    if prof.exists():
        stats = pstats.Stats(str(prof))
        stats.sort_stats(args.sort).print_stats(args.top)
    children = sorted(workdir.glob("profile.txt.child-*.prof"), key=lambda p: p.stat().st_mtime)
    if args.child and len(children) > 2:
        print(f"task processes (the last {len(children) - 2} of {len(children)}):")
        stats = pstats.Stats(*[str(p) for p in children[2:]])
        stats.sort_stats(args.sort).print_stats(args.top)
    print(f"work directory: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
