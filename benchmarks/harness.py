"""What the side-by-side benchmarks start and stop: databases on the machine's PostgreSQL, background processes in
their own sessions (so a whole tree can be signalled), CLI calls, free ports and polling."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg

PG = os.environ.get("RIIR_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def riir_cli() -> list[str]:
    compile_bytecode()
    exe = Path(sys.executable).parent / "riir-airflow"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "riir_airflow.cli.main"]


def compile_bytecode() -> None:
    """Compiles riir-airflow's modules to bytecode, as installing a package does (pip did it for Airflow's venv):
    a checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module at every process start,
    a cost no installed copy pays. Writes only __pycache__ folders (ignored by git); a no-op when current."""
    import compileall

    import riir_airflow

    compileall.compile_dir(Path(riir_airflow.__file__).parent, quiet=1)


@contextlib.contextmanager
def database(prefix: str, server: str = PG) -> Iterator[str]:
    """A fresh, uniquely named database on `server`, dropped (connections forced out) afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(f"{server}/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
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

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs.values()]

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


def wait_until(
    check: Callable[[], Any], timeout: float, what: str, alive: Callable[[], None] | None = None, every: float = 0.2
) -> Any:
    """Polls `check` every `every` seconds until it returns something truthy; `alive` raises when a process we
    depend on has died."""
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
