"""Under the DAG app, a run gets no task instance for a task whose start_date is after the run's logical date (nor
for one whose end_date is before it), as Airflow's DagRun.verify_integrity decides; the other tasks run."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import httpx
import pytest
from airflow_client.client import ApiClient, Configuration
from airflow_client.client.api.dag_api import DAGApi
from airflow_client.client.api.dag_run_api import DagRunApi
from airflow_client.client.api.task_instance_api import TaskInstanceApi
from airflow_client.client.models import DAGPatchBody, TriggerDAGRunPostBody

from riir_airflow.broker.app import create_app
from tests.app.harness import AppProcess, cli, env_for, write_dag
from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(120)]

DATES_DAG = """
    import datetime
    from airflow.sdk import DAG, task
    import pendulum

    with DAG("dates_dag", schedule=None, start_date=pendulum.datetime(2020, 1, 1)):
        @task
        def runs():
            return 1

        @task(start_date=datetime.datetime(2099, 1, 1))
        def starts_later():
            return 2

        @task(end_date=datetime.datetime(2021, 1, 1))
        def ended_before():
            return 3

        runs()
        starts_later()
        ended_before()
"""


def test_tasks_outside_their_dates_get_no_instance(pg_dsn: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = env_for(pg_dsn, home)
    cli(env, "db", "migrate")
    dags = tmp_path / "dags"
    dags.mkdir()
    app = AppProcess(env, write_dag(dags, "dates_dag.py", DATES_DAG), tmp_path / "app.log")
    port = free_port()
    try:
        with ServerThread(create_app(broker_config(tmp_path, pg_dsn)), port):
            url = f"http://127.0.0.1:{port}"
            login = {"username": "user", "password": PASSWORD.format("user")}
            token = httpx.post(f"{url}/auth/token", json=login).json()["access_token"]
            with ApiClient(Configuration(host=url, access_token=token)) as api:
                deadline = time.monotonic() + 30
                while not DAGApi(api).get_dags(dag_id_pattern="dates_dag").dags:  # the app registers its DAG
                    assert time.monotonic() < deadline and app.proc.poll() is None, app.output()
                    time.sleep(0.2)
                DAGApi(api).patch_dag("dates_dag", DAGPatchBody(is_paused=False))
                logical = datetime.datetime(2024, 3, 5, tzinfo=datetime.UTC)
                DagRunApi(api).trigger_dag_run(
                    "dates_dag", TriggerDAGRunPostBody(logical_date=logical, dag_run_id="in_2024")
                )
                deadline = time.monotonic() + 60
                while (state := DagRunApi(api).get_dag_run("dates_dag", "in_2024").state.value) not in (
                    "success",
                    "failed",
                ):
                    assert time.monotonic() < deadline, app.output()
                    time.sleep(0.3)
                assert state == "success", app.output()
                tis = TaskInstanceApi(api).get_task_instances("dates_dag", "in_2024").task_instances
                assert [(t.task_id, t.state.value) for t in tis] == [("runs", "success")]
    finally:
        app.stop()
