"""Task hop latency and idle footprint: one riir-airflow DAG app vs Airflow 3.3.2 (standalone's processes).

Usage: python benchmarks/bench_app.py [--riir-only] [--airflow-only] [--tasks N] [--idle-seconds S]

Both sides run the same DAG (a chain of N no-op @task written with `from airflow.sdk import ...`) against a
PostgreSQL database of their own on the machine's server (127.0.0.1:5432, user postgres; created and dropped here):

- riir: `riir-airflow db migrate`, one `riir-airflow app FILE`, `riir-airflow dags trigger`.
- Airflow: the processes `airflow standalone` starts (scheduler with LocalExecutor, dag-processor, api-server for
  the Execution API, triggerer), each started by hand with a private AIRFLOW_HOME and the reference venv from
  compat-tests/airflow_env.py (psycopg2-binary and asyncpg are installed there when missing); `airflow dags
  trigger`. Its database URL names psycopg2: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3.

Hop latency = start_date of task i+1 - end_date of task i, read from task_instance (median, p90, max, mean). Both
sides stamp these in the database, but at different points: riir stamps start_date just before it forks the task
process and end_date after the process has exited, so the fork and exit land in the task's duration, not the hop.
The run's wall time / N (dag_run start_date to end_date) is the apples-to-apples number, printed too.

CPU used for the run: utime+stime (with reaped children) of each side's process trees from trigger to success;
PostgreSQL's own CPU is not counted on either side. Both connect with their drivers' default sslmode (prefer).

Idle: after the run, the process trees are sampled from /proc once a second for S seconds: CPU time used (as % of
one core), RSS summed over processes (shared pages counted in each) and PSS (shared pages split), process count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "compat-tests"))

from airflow_env import AIRFLOW_VERSION, VENV, airflow_env, airflow_python  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
DAG_ID = "bench_app_chain"
RUN_ID = "bench_app_run"
CLK_TCK = os.sysconf("SC_CLK_TCK")


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


# --- measurements ---------------------------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    hops_ms: list[float] = field(default_factory=list)
    durations_ms: list[float] = field(default_factory=list)
    run_wall_s: float = 0.0
    run_cpu_s: float = 0.0
    trigger_to_done_s: float = 0.0
    idle_cpu_pct: float = 0.0
    idle_rss_mb: float = 0.0
    idle_pss_mb: float = 0.0
    processes: int = 0
    error: str | None = None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def read_run(dsn: str, result: Result, tasks: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT task_id, start_date, end_date FROM task_instance WHERE dag_id = $1 AND run_id = $2 "
            "ORDER BY task_id",
            DAG_ID, RUN_ID,
        )  # fmt: skip
        run = await conn.fetchrow(
            "SELECT start_date, end_date FROM dag_run WHERE dag_id = $1 AND run_id = $2", DAG_ID, RUN_ID
        )
    finally:
        await conn.close()
    if len(rows) != tasks or any(r["start_date"] is None or r["end_date"] is None for r in rows):
        raise RuntimeError(f"expected {tasks} finished task instances, found {len(rows)}")
    result.hops_ms = [(b["start_date"] - a["end_date"]).total_seconds() * 1000 for a, b in itertools.pairwise(rows)]
    result.durations_ms = [(r["end_date"] - r["start_date"]).total_seconds() * 1000 for r in rows]
    result.run_wall_s = (run["end_date"] - run["start_date"]).total_seconds()


async def run_state(dsn: str) -> str | None:
    conn = await asyncpg.connect(dsn)
    try:
        state: str | None = await conn.fetchval(
            "SELECT state FROM dag_run WHERE dag_id = $1 AND run_id = $2", DAG_ID, RUN_ID
        )
        return state
    finally:
        await conn.close()


async def dag_known(dsn: str) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM dag WHERE dag_id = $1", DAG_ID))
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()


def wait_until(
    check: Callable[[], Any], timeout: float, what: str, alive: Callable[[], None] | None = None, every: float = 0.2
) -> Any:
    """Polls `check` every `every` seconds; `alive` raises when a process we depend on has died."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if alive is not None:
            alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def wait_run(dsn: str, timeout: float, alive: Callable[[], None]) -> None:
    def done() -> str | None:
        state = asyncio.run(run_state(dsn))
        return state if state in ("success", "failed") else None

    state = wait_until(done, timeout, f"run {RUN_ID} to finish", alive, every=0.5)
    if state != "success":
        raise RuntimeError(f"run {RUN_ID} ended {state}")


# --- /proc sampling -------------------------------------------------------------------------------------------------
def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(roots: list[int]) -> list[int]:
    children = _children_map()
    found: list[int] = []
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid in found or not Path(f"/proc/{pid}").exists():
            continue
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of stat)


def tree_cpu_seconds(roots: list[int]) -> float:
    """CPU time used so far by the trees under `roots`, including their children that have exited and been reaped
    (cutime/cstime), so the task processes of a run are counted."""
    total = 0
    for pid in process_tree(roots):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])
    return total / CLK_TCK


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB."""
    rss = pss = 0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


def sample_idle(roots: list[int], seconds: float, result: Result) -> None:
    """CPU % of one core, mean RSS/PSS (MB) and the process count of the trees under `roots` over `seconds`."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    rss_samples: list[float] = []
    pss_samples: list[float] = []
    counts: list[int] = []
    started = time.monotonic()
    while True:
        pids = process_tree(roots)
        rss = pss = 0
        for pid in pids:
            ticks = _cpu_ticks(pid)
            if ticks is not None:
                first.setdefault(pid, ticks)
                last[pid] = ticks
            r, p = _memory_kb(pid)
            rss += r
            pss += p
        rss_samples.append(rss / 1024)
        pss_samples.append(pss / 1024)
        counts.append(len(pids))
        elapsed = time.monotonic() - started
        if elapsed >= seconds:
            break
        time.sleep(1.0)
    used = sum(last[pid] - first[pid] for pid in last) / CLK_TCK
    result.idle_cpu_pct = 100 * used / elapsed
    result.idle_rss_mb = statistics.mean(rss_samples)
    result.idle_pss_mb = statistics.mean(pss_samples)
    result.processes = max(counts)


# --- databases and processes ----------------------------------------------------------------------------------------
@contextlib.contextmanager
def database(prefix: str) -> Iterator[str]:
    name = f"{prefix}_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(f"{PG}/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class Processes:
    """Background processes, each in its own session so that the whole tree can be signalled; stopped on exit."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
        with open(self.logdir / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.logdir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def stop(self, grace: float = 20.0) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(deadline - time.monotonic(), 0.1))
        for proc in self.procs.values():
            # Whatever is left of the tree (a worker that ignored SIGTERM, or the group after the leader died).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
        self.procs.clear()


def run_cli(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float) -> str:
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the two sides --------------------------------------------------------------------------------------------------
def bench_riir(tasks: int, idle: float, timeout: float, workdir: Path) -> Result:
    result = Result("riir-airflow")
    home = workdir / "riir"
    home.mkdir()
    dag_file = home / f"{DAG_ID}.py"
    dag_file.write_text(dag_source(tasks))
    exe = Path(sys.executable).parent / "riir-airflow"
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "riir_airflow.cli.main"]
    procs = Processes(home)
    with database("bench_app_riir") as dsn:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn,
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            RIIR_AIRFLOW_COMPAT="1",
        )
        try:
            run_cli([*cli, "db", "migrate"], env, home, 120)
            app = procs.start("app", [*cli, "app", str(dag_file)], env, home)
            wait_until(lambda: asyncio.run(dag_known(dsn)), 60, "the app to register its DAG", procs.check_alive)
            cpu = tree_cpu_seconds([app.pid])
            started = time.monotonic()
            run_cli([*cli, "dags", "trigger", DAG_ID, "-r", RUN_ID], env, home, 60)
            wait_run(dsn, timeout, procs.check_alive)
            result.trigger_to_done_s = time.monotonic() - started
            result.run_cpu_s = tree_cpu_seconds([app.pid]) - cpu
            asyncio.run(read_run(dsn, result, tasks))
            sample_idle([app.pid], idle, result)
        finally:
            procs.stop()
    return result


def bench_airflow(tasks: int, idle: float, timeout: float, workdir: Path) -> Result:
    result = Result(f"airflow {AIRFLOW_VERSION}")
    python = airflow_python()
    probe = subprocess.run([str(python), "-c", "import psycopg2, asyncpg"], capture_output=True, check=False)
    if probe.returncode != 0:
        # The Postgres drivers Airflow needs (sync and async engines); into the reference venv only.
        subprocess.run([str(python), "-m", "pip", "install", "-q", "psycopg2-binary", "asyncpg"], check=True)
    home = workdir / "airflow"
    dags = home / "dags"
    dags.mkdir(parents=True)
    (dags / f"{DAG_ID}.py").write_text(dag_source(tasks))
    airflow = [str(VENV / "bin" / "airflow")]
    port = free_port()
    procs = Processes(home)
    with database("bench_app_airflow") as dsn:
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
        )
        try:
            run_cli([*airflow, "db", "migrate"], env, home, 900)
            for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
                procs.start(name, [*airflow, name], env, home)

            def healthy() -> bool:
                url = f"http://127.0.0.1:{port}/api/v2/monitor/health"
                with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as response:
                    return bool(response.status == 200)
                return False

            wait_until(healthy, 300, "the api-server", procs.check_alive)
            wait_until(lambda: asyncio.run(dag_known(dsn)), 300, "the DAG to be parsed", procs.check_alive)
            run_cli([*airflow, "dags", "unpause", DAG_ID], env, home, 300)
            roots = [p.pid for p in procs.procs.values()]
            cpu = tree_cpu_seconds(roots)
            started = time.monotonic()
            run_cli([*airflow, "dags", "trigger", DAG_ID, "-r", RUN_ID], env, home, 300)
            wait_run(dsn, timeout, procs.check_alive)
            result.trigger_to_done_s = time.monotonic() - started
            result.run_cpu_s = tree_cpu_seconds(roots) - cpu
            asyncio.run(read_run(dsn, result, tasks))
            sample_idle(roots, idle, result)
        finally:
            procs.stop()
    return result


# --- report ---------------------------------------------------------------------------------------------------------
def rows_of(r: Result, tasks: int) -> dict[str, str]:
    if r.error:
        return {}
    h = r.hops_ms
    return {
        "hop median (ms)": f"{statistics.median(h):.1f}",
        "hop p90 (ms)": f"{percentile(h, 0.9):.1f}",
        "hop max (ms)": f"{max(h):.1f}",
        "hop mean (ms)": f"{statistics.mean(h):.1f}",
        "task duration median (ms)": f"{statistics.median(r.durations_ms):.1f}",
        "run wall, dag_run start->end (s)": f"{r.run_wall_s:.2f}",
        f"run wall / {tasks} tasks (ms)": f"{1000 * r.run_wall_s / tasks:.1f}",
        "trigger CLI -> success seen (s)": f"{r.trigger_to_done_s:.2f}",
        "CPU used for the run (s)": f"{r.run_cpu_s:.2f}",
        "idle CPU (% of a core)": f"{r.idle_cpu_pct:.2f}",
        "idle RSS, summed (MB)": f"{r.idle_rss_mb:.0f}",
        "idle PSS (MB)": f"{r.idle_pss_mb:.0f}",
        "idle processes": f"{r.processes}",
    }


def ratio_of(label: str, airflow: Result, riir: Result, tasks: int) -> str:
    values = {
        "hop median (ms)": (statistics.median(airflow.hops_ms), statistics.median(riir.hops_ms)),
        "hop mean (ms)": (statistics.mean(airflow.hops_ms), statistics.mean(riir.hops_ms)),
        f"run wall / {tasks} tasks (ms)": (airflow.run_wall_s, riir.run_wall_s),
        "CPU used for the run (s)": (airflow.run_cpu_s, riir.run_cpu_s),
        "idle CPU (% of a core)": (airflow.idle_cpu_pct, riir.idle_cpu_pct),
        "idle RSS, summed (MB)": (airflow.idle_rss_mb, riir.idle_rss_mb),
        "idle PSS (MB)": (airflow.idle_pss_mb, riir.idle_pss_mb),
        "idle processes": (airflow.processes, riir.processes),
    }
    if label not in values:
        return ""
    a, r = values[label]
    return f"{a / r:.1f}x" if r > 0 else "riir is 0"


def report(results: list[Result], tasks: int, idle: float) -> None:
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\nchain of {tasks} no-op tasks, one run; idle sampled over {idle:.0f}s after the run")
    print(f"{os.cpu_count()} CPUs, load average now {' '.join(load)} (a busy machine inflates every latency)")
    for r in results:
        if r.error:
            print(f"{r.name}: FAILED: {r.error}")
    tables = {r.name: rows_of(r, tasks) for r in results if not r.error}
    if not tables:
        return
    labels = list(next(iter(tables.values())))
    names = list(tables)
    both = len(names) == 2
    header = f"{'':34}" + "".join(f"{n:>16}" for n in names) + (f"{'airflow/riir':>14}" if both else "")
    print(header)
    ok = [r for r in results if not r.error]
    for label in labels:
        line = f"{label:34}" + "".join(f"{tables[n][label]:>16}" for n in names)
        if both:
            airflow = next(r for r in ok if r.name.startswith("airflow"))
            riir = next(r for r in ok if r.name.startswith("riir"))
            line += f"{ratio_of(label, airflow, riir, tasks):>14}"
        print(line)
    riir = next((r for r in ok if r.name.startswith("riir")), None)
    if riir is not None:
        goals = [
            ("hop median <= 20 ms", statistics.median(riir.hops_ms) <= 20),
            ("idle RSS <= 60 MB", riir.idle_rss_mb <= 60),
            ("idle CPU ~0 (< 0.5%)", riir.idle_cpu_pct < 0.5),
        ]
        print("riir goals: " + ", ".join(f"{g}: {'met' if met else 'NOT met'}" for g, met in goals))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    side = parser.add_mutually_exclusive_group()
    side.add_argument("--riir-only", action="store_true", help="skip Airflow (quick runs)")
    side.add_argument("--airflow-only", action="store_true", help="skip riir-airflow")
    parser.add_argument("--tasks", type=int, default=100, help="length of the chain (default 100)")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="idle sampling window (default 10)")
    parser.add_argument("--timeout", type=float, default=900.0, help="limit for the run to finish, each side")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) and print its path")
    args = parser.parse_args()

    results: list[Result] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-app-"))
    sides: list[tuple[str, Callable[..., Result]]] = []
    if not args.airflow_only:
        sides.append(("riir-airflow", bench_riir))
    if not args.riir_only:
        sides.append((f"airflow {AIRFLOW_VERSION}", bench_airflow))
    try:
        for name, bench in sides:
            print(f"running {name} ...", flush=True)
            try:
                results.append(bench(args.tasks, args.idle_seconds, args.timeout, workdir))
            except Exception as exc:  # report the other side anyway
                results.append(Result(name, error=f"{type(exc).__name__}: {exc}"))
        report(results, args.tasks, args.idle_seconds)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
