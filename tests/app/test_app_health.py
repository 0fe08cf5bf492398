"""The app's health endpoint (the chart's probes): a real app process, real PostgreSQL, plain HTTP requests."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, start_app, wait_for, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(120)]

SLOW_DAG = """
    import time
    from airflow.sdk import DAG, task

    with DAG("health_dag", schedule=None):
        @task
        def slow():
            time.sleep(30)

        slow()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


async def test_health_and_readiness_follow_the_app_through_drain(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    port = free_port()
    path = write_dag(dags, "health_dag.py", SLOW_DAG)
    app = await start_app(
        app_env, db, path, tmp_path / "app.log", "--health-port", str(port), "--health-host", "127.0.0.1",
        "--grace-period", "5",
    )  # fmt: skip
    try:
        status, body = await asyncio.to_thread(get, port, "/health")
        assert status == 200, body
        assert body["status"] == "healthy" and body["draining"] is False
        await wait_for(lambda: asyncio.to_thread(lambda: get(port, "/health")[1]["scheduling"]), 20, "scheduling")
        assert (await asyncio.to_thread(get, port, "/health"))[1]["dag_ids"] == ["health_dag"]
        assert (await asyncio.to_thread(get, port, "/health/ready"))[0] == 200
        assert (await asyncio.to_thread(get, port, "/nope"))[0] == 404

        cli(app_env, "dags", "trigger", "health_dag", "-r", "r1")
        await wait_for(
            lambda: db.fetchval("SELECT state = 'running' FROM task_instance WHERE task_id = 'slow'"), 20, "slow task"
        )
        # PreStop: the app drains; while it waits for the running try it is alive but not ready.
        app.proc.send_signal(15)

        async def not_ready() -> dict[str, object] | None:
            status, body = await asyncio.to_thread(get, port, "/health/ready")
            return body if status == 503 else None

        assert (await wait_for(not_ready, 10, "readiness to turn off"))["status"] == "draining"
        live = await asyncio.to_thread(get, port, "/health")
        assert live[0] == 200 and live[1]["draining"] is True
        assert await asyncio.to_thread(app.proc.wait, 30) == 0
    finally:
        app.stop()
