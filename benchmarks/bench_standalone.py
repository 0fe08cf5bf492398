"""Idle footprint of the laptop setup: `riir-airflow standalone` vs `airflow standalone` on the same DAG folder.

Usage: python benchmarks/bench_standalone.py [--idle-seconds S] [--settle-seconds S] [--riir-only] [--airflow-only]
                                             [--no-zygote]

Both start from an empty AIRFLOW_HOME with their defaults and serve examples/dags (every example DAG, paused as
created): riir-airflow with its embedded PostgreSQL, its broker and one DAG app per file; Airflow 3.3.2 (the
reference venv of compat-tests/airflow_env.py) with its SQLite database, scheduler, dag-processor, api-server and
triggerer. Each side runs until its web server answers, then `--settle-seconds` more (start-up work done), then is
measured for `--idle-seconds` while nothing is triggered.

"All processes" are those whose environment carries a marker variable set for the run (which finds children that
daemonize, like the embedded PostgreSQL), and all their descendants:
- PSS: summed from /proc/PID/smaps_rollup (shared pages split between the processes sharing them), at the end;
- processes: how many there are at the end;
- CPU: utime+stime of those processes over the idle window, as % of one core (a process that exits inside the
  window is not counted).
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "compat-tests"))

from airflow_env import AIRFLOW_VERSION, VENV, airflow_env, airflow_python  # noqa: E402

EXAMPLES = ROOT / "examples" / "dags"
CLK_TCK = os.sysconf("SC_CLK_TCK")
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


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Footprint:
    name: str
    startup_s: float
    processes: int
    pss_mb: float
    cpu_percent: float
    commands: list[str]
    postgres_processes: int = 0
    postgres_pss_mb: float = 0.0


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


def measure(name: str, command: list[str], env: dict[str, str], url: str, settle: float, idle: float) -> Footprint:
    tag = secrets.token_hex(6)
    env = {**env, MARKER: tag}
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    try:
        wait_http(url, proc, timeout=300)
        startup = time.monotonic() - started
        time.sleep(settle)
        pids = marked_pids(tag)
        before = {pid: cpu_ticks(pid) for pid in pids}
        time.sleep(idle)
        pids = marked_pids(tag)
        used = sum(cpu_ticks(pid) - before.get(pid, cpu_ticks(pid)) for pid in pids if pid in before)
        commands: dict[int, str] = {}
        for pid in pids:
            try:
                commands[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
            except OSError:
                continue
        # PostgreSQL runs one process per connection (postmaster, background workers, one backend per client).
        postgres = [pid for pid, cmd in commands.items() if cmd.startswith("postgres") or "/bin/postgres" in cmd]
        return Footprint(
            name=name, startup_s=startup, processes=len(pids), pss_mb=sum(pss_kb(p) for p in pids) / 1024,
            cpu_percent=100.0 * used / CLK_TCK / idle, commands=sorted(commands.values()),
            postgres_processes=len(postgres), postgres_pss_mb=sum(pss_kb(p) for p in postgres) / 1024,
        )  # fmt: skip
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


def riir(settle: float, idle: float, no_zygote: bool = False) -> Footprint:
    home = Path(tempfile.mkdtemp(prefix="bench-riir-standalone-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__API__PORT=str(port), RIIR_AIRFLOW_COMPAT="1")
    command = [sys.executable, "-m", "riir_airflow", "standalone", "--dags", str(EXAMPLES)]
    name = "riir-airflow standalone"
    if no_zygote:  # an interpreter per app instead of forks of the zygote
        command.append("--no-zygote")
        name += " --no-zygote"
    return measure(name, command, env, f"http://127.0.0.1:{port}/api/v2/version", settle, idle)


def airflow(settle: float, idle: float) -> Footprint:
    python = airflow_python()
    home = Path(tempfile.mkdtemp(prefix="bench-airflow-standalone-"))
    port = free_port()
    env = airflow_env(home)
    env.update(AIRFLOW__CORE__DAGS_FOLDER=str(EXAMPLES), AIRFLOW__API__PORT=str(port))
    command = [str(Path(python).parent / "airflow"), "standalone"]
    return measure(f"airflow {AIRFLOW_VERSION} standalone", command, env, f"http://127.0.0.1:{port}/api/v2/version",
                   settle, idle)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--settle-seconds", type=float, default=30.0)
    parser.add_argument("--riir-only", action="store_true")
    parser.add_argument("--airflow-only", action="store_true")
    parser.add_argument("--no-zygote", action="store_true", help="riir's apps each in an interpreter of its own")
    parser.add_argument("--verbose", action="store_true", help="list the measured processes")
    args = parser.parse_args()
    results = []
    if not args.airflow_only:
        results.append(riir(args.settle_seconds, args.idle_seconds, args.no_zygote))
    if not args.riir_only:
        print(f"(reference venv: {VENV})", flush=True)
        results.append(airflow(args.settle_seconds, args.idle_seconds))
    files = len(list(EXAMPLES.glob("*.py")))
    print(f"Idle footprint with examples/dags ({files} files), measured over {args.idle_seconds:.0f}s "
          f"after {args.settle_seconds:.0f}s of settling:")  # fmt: skip
    print(f"{'':34} {'start-up':>9} {'processes':>10} {'PSS':>10} {'CPU (% of a core)':>18}")
    for r in results:
        print(f"{r.name:34} {r.startup_s:8.1f}s {r.processes:10d} {r.pss_mb:8.0f}MB {r.cpu_percent:17.2f}%")
        if r.postgres_processes:
            print(f"{'  of which PostgreSQL':34} {'':9} {r.postgres_processes:10d} {r.postgres_pss_mb:8.0f}MB")
        if args.verbose:
            for command in r.commands:
                print(f"    {command}")
    if len(results) == 2:
        ours, theirs = results
        cpu_ratio = theirs.cpu_percent / max(ours.cpu_percent, 0.01)
        print(f"ratios (airflow / riir): PSS {theirs.pss_mb / ours.pss_mb:.1f}x, processes "
              f"{theirs.processes / ours.processes:.1f}x, CPU {cpu_ratio:.1f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
