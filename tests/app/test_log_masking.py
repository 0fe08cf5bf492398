"""Secrets a task receives from its app are masked in its log, whichever way it writes them (print, logging,
straight to the file descriptor), by Airflow's rules: connection passwords always, variables by a sensitive key."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, start_app, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

LEAKY = """
import logging, os
from airflow.sdk import DAG, BaseHook, Variable, task

with DAG("leaky", schedule=None):
    @task
    def leak():
        token = Variable.get("service_api_key")
        plain = Variable.get("region")
        password = BaseHook.get_connection("warehouse").password
        print("printed", token, password)
        logging.getLogger("airflow.task").info("logged %s %s", token, password)
        os.write(1, f"raw {token} {password} {plain}\\n".encode())

    leak()
"""


async def test_task_logs_mask_what_the_app_served(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    await db.execute("INSERT INTO variable (key, val) VALUES ('service_api_key', 'tok-5ecret-value'), "
                     "('region', 'eu-west-1') ON CONFLICT (key) DO NOTHING")  # fmt: skip
    await db.execute("INSERT INTO connection (conn_id, conn_type, host, password) "
                     "VALUES ('warehouse', 'postgres', 'db', 'pw-5ecret-value')")  # fmt: skip
    app = await start_app(app_env, db, write_dag(dags, "leaky.py", LEAKY), tmp_path / "leaky.log")
    try:
        cli(app_env, "dags", "trigger", "leaky", "-r", "r1")
        assert await wait_run_done(db, "leaky", "r1") == "success", app.output()
    finally:
        app.stop()
    log = await db.fetchval("SELECT string_agg(line, chr(10) ORDER BY id) FROM task_log WHERE dag_id = 'leaky'")
    assert "printed *** ***" in log and "logged *** ***" in log and "raw *** *** eu-west-1" in log, log
    assert "5ecret" not in log
