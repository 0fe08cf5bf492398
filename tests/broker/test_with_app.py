"""The official client triggers a run through the broker and watches a real DAG app run it to success."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow_client.client.api.dag_api import DAGApi
from airflow_client.client.api.dag_run_api import DagRunApi
from airflow_client.client.api.task_instance_api import TaskInstanceApi
from airflow_client.client.api.x_com_api import XComApi
from airflow_client.client.models import DAGPatchBody, TriggerDAGRunPostBody

from tests.broker.broker_with_app import broker_with_app

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
    with broker_with_app(pg_dsn, tmp_path, "sum_dag.py", SUM_DAG, "sum_dag") as running:
        api, app = running.api, running.app
        DAGApi(api).patch_dag("sum_dag", DAGPatchBody(is_paused=False))
        run = DagRunApi(api).trigger_dag_run(
            "sum_dag", TriggerDAGRunPostBody(logical_date=None, conf={"n": 5}, dag_run_id="client_run")
        )
        assert run.state.value == "queued"
        state = running.run_to_finish("sum_dag", "client_run")
        assert state == "success", app.output()
        tis = TaskInstanceApi(api).get_task_instances("sum_dag", "client_run").task_instances
        expected = {("numbers", "success", 1), ("total", "success", 1)}
        assert {(t.task_id, t.state.value, t.try_number) for t in tis} == expected
        log = TaskInstanceApi(api).get_log("sum_dag", "client_run", "numbers", 1)
        assert any("making 5 numbers" in item.event for item in log.content.actual_instance)
        xcom = XComApi(api).get_xcom_entry("sum_dag", "total", "client_run", "return_value")
        assert json.loads(json.dumps(xcom.actual_instance.value)) == 10
