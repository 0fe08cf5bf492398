"""Under the DAG app, `task_state_store` values live in the metastore's task_state_store: a retry reads what the
failed try wrote, and the broker's REST API sees them."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(120)]

RESUMING_DAG = """
    import datetime
    from airflow.sdk import DAG, task

    with DAG("task_state_dag", schedule=None, start_date=datetime.datetime(2024, 1, 1)):

        @task(retries=1, retry_delay=datetime.timedelta(seconds=0))
        def submit(**context):
            store = context["task_state_store"]
            if context["ti"].try_number == 1:
                store.set("job_id", {"id": "job-1"})
                store.set("scratch", 1)
                raise RuntimeError("first try fails after submitting")
            store.delete("scratch")
            return [store.get("job_id"), store.get("scratch", "gone")]

        submit()
"""


async def test_a_retry_reads_what_the_failed_try_kept(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    app = AppProcess(app_env, write_dag(dags, "task_state_dag.py", RESUMING_DAG), tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 20, "app registration")
        cli(app_env, "dags", "trigger", "task_state_dag", "-r", "r1")
        assert await wait_run_done(db, "task_state_dag", "r1") == "success", app.output()
        value = await db.fetchval("SELECT value FROM xcom WHERE run_id = 'r1' AND key = 'return_value'")
        assert json.loads(value) == [{"id": "job-1"}, "gone"]
        rows = await db.fetch("SELECT task_id, map_index, key, value, expires_at FROM task_state_store")
        assert [(r["task_id"], r["map_index"], r["key"], json.loads(r["value"])) for r in rows] == [
            ("submit", -1, "job_id", {"id": "job-1"})
        ]
        assert rows[0]["expires_at"] is not None  # [state_store] default_retention_days (30)
    finally:
        app.stop()
