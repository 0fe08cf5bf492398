"""PUT /parseDagFile reaches the app serving the file: it loads the file again in the same process and registers
the new code as a new DAG version, then schedules on it."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from riir_airflow.metastore import notify
from tests.app.harness import AppProcess, cli, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(120)]

DAG = """
    import datetime
    from airflow.sdk import DAG, task

    with DAG("reparsed_dag", schedule=None, start_date=datetime.datetime(2024, 1, 1)):

        @task
        def first():
            return 1
{more}
        first()
"""
SECOND_TASK = """
        @task
        def second():
            return 2

        second()
"""


async def test_a_reparse_request_reloads_the_file(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(dags, "reparsed_dag.py", DAG.format(more=""))
    app = AppProcess(app_env, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 20, "app registration")
        pid = app.proc.pid
        write_dag(dags, "reparsed_dag.py", DAG.format(more=SECOND_TASK))
        await notify.request_reparse(db, ["reparsed_dag"])
        await wait_for(lambda: db.fetchval("SELECT max(version_number) = 2 FROM dag_version "
                                           "WHERE dag_id = 'reparsed_dag'"), 60, "the new version")  # fmt: skip
        assert app.proc.pid == pid and app.proc.poll() is None  # the same process, started over
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 20, "re-registration")
        cli(app_env, "dags", "trigger", "reparsed_dag", "-r", "after")
        assert await wait_run_done(db, "reparsed_dag", "after") == "success", app.output()
        tasks = await db.fetch("SELECT task_id FROM task_instance WHERE run_id = 'after' ORDER BY task_id")
        assert [r["task_id"] for r in tasks] == ["first", "second"]
    finally:
        app.stop()
