"""The official client triggers a run through the broker and watches a real DAG app run it to success."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from airflow_client.client import ApiClient, Configuration
from airflow_client.client.api.dag_api import DAGApi
from airflow_client.client.api.dag_run_api import DagRunApi
from airflow_client.client.api.task_instance_api import TaskInstanceApi
from airflow_client.client.api.x_com_api import XComApi
from airflow_client.client.models import DAGPatchBody, TriggerDAGRunPostBody

from riir_airflow.broker.app import create_app
from tests.app.harness import AppProcess, cli, env_for, write_dag
from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(120)]

SUM_DAG = """
    from airflow.sdk import DAG, task
    import pendulum

    with DAG("sum_dag", schedule=None, start_date=pendulum.datetime(2024, 1, 1), params={"n": 1}):
        @task
        def numbers(params=None):
            print("making", params["n"], "numbers")
            return list(range(params["n"]))

        @task
        def total(values):
            return sum(values)

        total(numbers())
"""


def test_trigger_and_watch_to_success(pg_dsn: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = env_for(pg_dsn, home)
    cli(env, "db", "migrate")
    dags = tmp_path / "dags"
    dags.mkdir()
    app = AppProcess(env, write_dag(dags, "sum_dag.py", SUM_DAG), tmp_path / "app.log")
    port = free_port()
    try:
        with ServerThread(create_app(broker_config(tmp_path, pg_dsn)), port):
            url = f"http://127.0.0.1:{port}"
            login = {"username": "user", "password": PASSWORD.format("user")}
            token = httpx.post(f"{url}/auth/token", json=login).json()["access_token"]
            with ApiClient(Configuration(host=url, access_token=token)) as api:
                deadline = time.monotonic() + 30
                while not DAGApi(api).get_dags(dag_id_pattern="sum_dag").dags:  # the app registers its DAG
                    assert time.monotonic() < deadline and app.proc.poll() is None, app.output()
                    time.sleep(0.2)
                DAGApi(api).patch_dag("sum_dag", DAGPatchBody(is_paused=False))
                run = DagRunApi(api).trigger_dag_run(
                    "sum_dag", TriggerDAGRunPostBody(logical_date=None, conf={"n": 5}, dag_run_id="client_run")
                )
                assert run.state.value == "queued"
                deadline = time.monotonic() + 60
                while (state := DagRunApi(api).get_dag_run("sum_dag", "client_run").state.value) not in (
                    "success",
                    "failed",
                ):
                    assert time.monotonic() < deadline, app.output()
                    time.sleep(0.3)
                assert state == "success", app.output()
                tis = TaskInstanceApi(api).get_task_instances("sum_dag", "client_run").task_instances
                expected = {("numbers", "success", 1), ("total", "success", 1)}
                assert {(t.task_id, t.state.value, t.try_number) for t in tis} == expected
                log = TaskInstanceApi(api).get_log("sum_dag", "client_run", "numbers", 1)
                assert any("making 5 numbers" in item.event for item in log.content.actual_instance)
                xcom = XComApi(api).get_xcom_entry("sum_dag", "total", "client_run", "return_value")
                assert json.loads(json.dumps(xcom.actual_instance.value)) == 10
    finally:
        app.stop()
