"""Under the DAG app, @task.virtualenv and @task.external_python run the callable in another interpreter from the
task's child process, and the result comes back as XCom in the metastore."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, task_states, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(180)]

VENV_DAG = """
    import datetime

    from airflow.sdk import DAG, task

    with DAG("venv_app", schedule=None, start_date=datetime.datetime(2024, 1, 1)):

        @task.virtualenv(system_site_packages=False, venv_cache_path=CACHE, string_args=["a", "b"])
        def inside(n, run_id=None):
            import sys

            return {"n": n * 2, "prefix": sys.prefix, "args": virtualenv_string_args, "manual": run_id[:6]}

        @task.external_python(python=PYTHON)
        def external(result):
            import sys

            return [result["n"] + 1, sys.executable]

        @task.virtualenv(system_site_packages=False, venv_cache_path=CACHE)
        def broken():
            raise RuntimeError("broken in the venv")

        external(inside(21))
        broken()
"""


async def test_virtualenv_and_external_python_tasks_under_the_app(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "venvs"
    source = f"CACHE = {str(cache)!r}\nPYTHON = {sys.executable!r}\n" + textwrap.dedent(VENV_DAG)
    path = write_dag(dags, "venv_app.py", source)
    app = AppProcess(app_env, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 20, "app registration")
        cli(app_env, "dags", "trigger", "venv_app", "-r", "manual__1")
        assert await wait_run_done(db, "venv_app", "manual__1", timeout=150) == "failed", app.output()
        states = await task_states(db, "venv_app", "manual__1")
        assert states == {"inside": ("success", 1), "external": ("success", 1), "broken": ("failed", 1)}
        rows = await db.fetch("SELECT task_id, value FROM xcom WHERE dag_id = 'venv_app' AND key = 'return_value'")
        values = {r["task_id"]: json.loads(r["value"]) for r in rows}
        [venv] = [p for p in cache.iterdir() if p.is_dir()]
        assert values["inside"] == {"n": 42, "prefix": str(venv), "args": ["a", "b"], "manual": "manual"}
        assert values["external"] == [43, sys.executable]
        # The callable's exception text reaches the try's log through the termination log file.
        log = await db.fetch("SELECT line FROM task_log WHERE dag_id = 'venv_app' AND task_id = 'broken'")
        text = "\n".join(r["line"] for r in log)
        assert "Process returned non-zero exit status 1." in text and "broken in the venv" in text, text
    finally:
        app.stop()
