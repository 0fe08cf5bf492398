"""Real DAG apps in real processes against a private PostgreSQL database, for end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

CLI = [sys.executable, "-m", "riir_airflow"]


def env_for(dsn: str, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn,
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        RIIR_AIRFLOW_COMPAT="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=60, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"riir-airflow {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def write_dag(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


class AppProcess:
    """`riir-airflow app FILE` running in the background, its output in a log file."""

    def __init__(self, env: dict[str, str], path: Path, log: Path, *args: str) -> None:
        self.log_path = log
        self.log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*CLI, "app", str(path), *args], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()

    def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout: float = 30) -> int:
        """Waits for the app to exit (after a SIGTERM sent earlier: a second one could land after the app's event
        loop, and with it its signal handler, is gone, and kill it with the default action)."""
        try:
            return self.proc.wait(timeout)
        finally:
            self.log.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


async def start_app(env: dict[str, str], db: asyncpg.Connection, path: Path, log: Path, *args: str) -> AppProcess:
    """Starts an app and waits until it has registered (so triggers from now on reach it)."""
    app = AppProcess(env, path, log, *args)
    before = await db.fetchval("SELECT count(*) FROM app")
    try:
        await wait_for(lambda: _registered_more(db, before), 30, "app registration")
    except AssertionError as exc:
        output = app.output()
        app.stop()
        raise AssertionError(f"{exc}\n{output}") from None
    return app


async def _registered_more(db: asyncpg.Connection, before: int) -> bool:
    return bool(await db.fetchval("SELECT count(*) FROM app") > before)


async def wait_for(check: Callable[[], Awaitable[Any]], timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


async def run_state(conn: asyncpg.Connection, dag_id: str, run_id: str) -> str | None:
    state: str | None = await conn.fetchval(
        "SELECT state FROM dag_run WHERE dag_id = $1 AND run_id = $2", dag_id, run_id
    )
    return state


async def wait_run_done(conn: asyncpg.Connection, dag_id: str, run_id: str, timeout: float = 60) -> str:
    async def done() -> str | None:
        state = await run_state(conn, dag_id, run_id)
        return state if state in ("success", "failed") else None

    result: str = await wait_for(done, timeout, f"run {run_id} of {dag_id} to finish")
    return result


async def task_states(conn: asyncpg.Connection, dag_id: str, run_id: str) -> dict[str, tuple[str | None, int]]:
    rows = await conn.fetch(
        "SELECT task_id, map_index, state, try_number FROM task_instance WHERE dag_id = $1 AND run_id = $2",
        dag_id, run_id,
    )  # fmt: skip
    return {
        (r["task_id"] if r["map_index"] < 0 else f"{r['task_id']}[{r['map_index']}]"): (r["state"], r["try_number"])
        for r in rows
    }
