"""Idle footprint of the laptop setup: `riir-airflow standalone` vs `airflow standalone` on the same DAG folder.

Usage: python benchmarks/bench_standalone.py [--idle-seconds S] [--settle-seconds S] [--samples K] [--repeat R]
                                            [--quick] [--riir-only] [--airflow-only] [--no-zygote] [--verbose]

Both start from an empty AIRFLOW_HOME with their defaults and serve examples/dags (every example DAG, paused as
created): riir-airflow with its embedded PostgreSQL, its broker and one DAG app per file; Airflow 3.3.2 (the
reference venv of compat-tests/airflow_env.py) with its SQLite database, scheduler, dag-processor, api-server and
triggerer. Each side runs until its web server answers, then `--settle-seconds` more (start-up work done), then is
measured for `--idle-seconds` while nothing is triggered, split into `--samples` equal windows (the repetitions of
the idle figures: min/median/max over windows, of every start when `--repeat` starts each side more than once).
`--quick` is --settle-seconds 10 --idle-seconds 20.

"All processes" are those whose environment carries a marker variable set for the run (which finds children that
daemonize, like the embedded PostgreSQL), and all their descendants:
- PSS: summed from /proc/PID/smaps_rollup (shared pages split between the processes sharing them), at the end of
  each window;
- processes: how many there are at the end of each window;
- CPU: utime+stime of those processes (and of their children reaped meanwhile) over each window, as % of one core
  (a process that starts and exits inside one window is not counted).
Airflow's standalone runs on SQLite (its default); riir's on its embedded PostgreSQL, whose processes are counted
(and also shown on their own).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "compat-tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import measure  # noqa: E402
from airflow_env import AIRFLOW_VERSION, VENV, airflow_env, airflow_python  # noqa: E402

EXAMPLES = ROOT / "examples" / "dags"
MARKER = "RIIR_BENCH_STANDALONE"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def marked_pids(tag: str) -> list[int]:
    """The processes with the marker in their environment, and all their descendants: a process that sets its
    title (PostgreSQL's backends, Airflow's setproctitle) may overwrite the memory /proc/PID/environ shows."""
    needle = f"{MARKER}={tag}".encode()
    marked: set[int] = set()
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if needle in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                marked.add(int(entry))
            parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found = set(marked)
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return sorted(found)


@dataclass
class Window:
    """One idle window of a system: every marked process at its end."""

    processes: int
    pss_mb: float
    cpu_percent: float
    postgres_processes: int
    postgres_pss_mb: float


@dataclass
class Footprint:
    name: str
    startup_s: float
    windows: list[Window]
    commands: list[str]


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def is_postgres(pid: int) -> bool:
    """PostgreSQL runs one process per connection (postmaster, background workers, one backend per client)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return command.startswith("postgres") or "/bin/postgres" in command


def idle_window(tag: str, seconds: float) -> Window:
    pids = marked_pids(tag)
    before = {pid: measure.cpu_ticks(pid) for pid in pids}
    time.sleep(seconds)
    pids = marked_pids(tag)
    used = sum(measure.cpu_ticks(pid) - before[pid] for pid in pids if pid in before)
    postgres = [pid for pid in pids if is_postgres(pid)]
    return Window(
        processes=len(pids),
        pss_mb=sum(measure.memory_kb(pid)[1] for pid in pids) / 1024,
        cpu_percent=100.0 * used / measure.CLK_TCK / seconds,
        postgres_processes=len(postgres),
        postgres_pss_mb=sum(measure.memory_kb(pid)[1] for pid in postgres) / 1024,
    )


def footprint(
    name: str, command: list[str], env: dict[str, str], url: str, settle: float, idle: float, samples: int
) -> Footprint:
    tag = secrets.token_hex(6)
    env = {**env, MARKER: tag}
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    try:
        wait_http(url, proc, timeout=300)
        startup = time.monotonic() - started
        time.sleep(settle)
        windows = [idle_window(tag, idle / samples) for _ in range(samples)]
        commands: list[str] = []
        for pid in marked_pids(tag):
            try:
                commands.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80])
            except OSError:
                continue
        return Footprint(name=name, startup_s=startup, windows=windows, commands=sorted(commands))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        for pid in marked_pids(tag):  # whatever did not stop with its parent
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def riir(settle: float, idle: float, samples: int, no_zygote: bool = False) -> Footprint:
    home = Path(tempfile.mkdtemp(prefix="bench-riir-standalone-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__API__PORT=str(port), RIIR_AIRFLOW_COMPAT="1")
    command = [sys.executable, "-m", "riir_airflow", "standalone", "--dags", str(EXAMPLES)]
    url = f"http://127.0.0.1:{port}/api/v2/version"
    name = "riir-airflow standalone"
    if no_zygote:  # an interpreter per app instead of forks of the zygote
        command.append("--no-zygote")
        name += " --no-zygote"
    return footprint(name, command, env, url, settle, idle, samples)


def airflow(settle: float, idle: float, samples: int) -> Footprint:
    python = airflow_python()
    home = Path(tempfile.mkdtemp(prefix="bench-airflow-standalone-"))
    port = free_port()
    env = airflow_env(home)
    env.update(AIRFLOW__CORE__DAGS_FOLDER=str(EXAMPLES), AIRFLOW__API__PORT=str(port))
    command = [str(Path(python).parent / "airflow"), "standalone"]
    url = f"http://127.0.0.1:{port}/api/v2/version"
    return footprint(f"airflow {AIRFLOW_VERSION} standalone", command, env, url, settle, idle, samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--settle-seconds", type=float, default=30.0)
    parser.add_argument("--samples", type=int, default=6, help="idle windows per start (default 6)")
    parser.add_argument("--repeat", type=int, default=1, help="starts of each side (default 1)")
    parser.add_argument("--quick", action="store_true", help="--settle-seconds 10 --idle-seconds 20")
    parser.add_argument("--riir-only", action="store_true")
    parser.add_argument("--airflow-only", action="store_true")
    parser.add_argument("--no-zygote", action="store_true", help="riir's apps each in an interpreter of its own")
    parser.add_argument("--verbose", action="store_true", help="list the measured processes")
    args = parser.parse_args()
    if args.quick:
        args.settle_seconds, args.idle_seconds = 10.0, 20.0
    files = len(list(EXAMPLES.glob("*.py")))
    name = "standalone_no_zygote" if args.no_zygote else "standalone"  # its own RESULTS.md section
    run = measure.Run(name, {"dag_files": files, "settle_seconds": args.settle_seconds,
                                     "idle_seconds": args.idle_seconds, "samples": args.samples,
                                     "repeat": args.repeat})  # fmt: skip
    sides: dict[str, list[Footprint]] = {"riir": [], "airflow": []}
    for _ in range(args.repeat):
        if not args.airflow_only:
            sides["riir"].append(riir(args.settle_seconds, args.idle_seconds, args.samples, args.no_zygote))
        if not args.riir_only:
            print(f"(reference venv: {VENV})", flush=True)
            sides["airflow"].append(airflow(args.settle_seconds, args.idle_seconds, args.samples))
    print(f"Idle footprint with examples/dags ({files} files), {args.samples} windows over {args.idle_seconds:.0f}s "
          f"after {args.settle_seconds:.0f}s of settling, {args.repeat} start(s); medians (min-max):")  # fmt: skip
    print(f"{'':34} {'start-up':>9} {'processes':>10} {'PSS':>10} {'CPU (% of a core)':>18}")
    for results in sides.values():
        for r in results:
            pss = [w.pss_mb for w in r.windows]
            cpu = [w.cpu_percent for w in r.windows]
            procs = [w.processes for w in r.windows]
            print(f"{r.name:34} {r.startup_s:8.1f}s {measure.stats(procs)['median']:10.0f} "
                  f"{measure.stats(pss)['median']:8.0f}MB {measure.stats(cpu)['median']:8.2f}% "
                  f"({min(cpu):.2f}-{max(cpu):.2f})")  # fmt: skip
            pg = [w.postgres_processes for w in r.windows]
            if any(pg):
                pg_pss = [w.postgres_pss_mb for w in r.windows]
                print(f"{'  of which PostgreSQL':34} {'':9} {measure.stats(pg)['median']:10.0f} "
                      f"{measure.stats(pg_pss)['median']:8.0f}MB")  # fmt: skip
            if args.verbose:
                for command in r.commands:
                    print(f"    {command}")

    def values(side: str, pick: Callable[[Window], float]) -> list[float] | None:
        return [pick(w) for r in sides[side] for w in r.windows] or None

    def figure(label: str, unit: str, pick: Callable[[Window], float], riir_only: bool = False) -> None:
        mine, theirs = values("riir", pick), None if riir_only else values("airflow", pick)
        if mine or theirs:
            run.figure(label, unit, mine, theirs)

    figure("idle PSS, every process", "MB", lambda w: w.pss_mb)
    figure("idle processes", "count", lambda w: w.processes)
    figure("idle CPU", "% of a core", lambda w: w.cpu_percent)
    # Airflow's standalone keeps its metastore in SQLite, inside its own processes.
    figure("idle PSS of the embedded PostgreSQL (included above)", "MB", lambda w: w.postgres_pss_mb, riir_only=True)
    figure("embedded PostgreSQL processes (included above)", "count", lambda w: w.postgres_processes, riir_only=True)
    startups = {side: [r.startup_s for r in results] or None for side, results in sides.items()}
    run.figure("start-up until the web server answers", "s", startups["riir"], startups["airflow"])
    run.notes.append(
        f"`riir-airflow standalone{' --no-zygote' if args.no_zygote else ''}` (embedded PostgreSQL, broker, one "
        f"DAG app per file{', each its own interpreter' if args.no_zygote else ' forked from one zygote'}) vs "
        f"`airflow standalone` "
        f"({AIRFLOW_VERSION}: SQLite, scheduler, dag-processor, api-server, triggerer) on examples/dags ({files} "
        f"files, paused), from an empty AIRFLOW_HOME each. Every process of each system (found by a marker in its "
        f"environment, and descendants), PSS summed; idle cells over {args.samples} windows of "
        f"{args.idle_seconds / args.samples:.0f} s per start after {args.settle_seconds:.0f} s of settling."
    )
    print(f"results: {run.save()}")
    run.print_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
