"""Under the DAG app, a run gets no task instance for a task whose start_date is after the run's logical date (nor
for one whose end_date is before it), as Airflow's DagRun.verify_integrity decides; the other tasks run."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from airflow_client.client.api.dag_api import DAGApi
from airflow_client.client.api.dag_run_api import DagRunApi
from airflow_client.client.api.task_instance_api import TaskInstanceApi
from airflow_client.client.models import DAGPatchBody, TriggerDAGRunPostBody

from tests.broker.broker_with_app import broker_with_app

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
    with broker_with_app(pg_dsn, tmp_path, "dates_dag.py", DATES_DAG, "dates_dag") as running:
        api = running.api
        DAGApi(api).patch_dag("dates_dag", DAGPatchBody(is_paused=False))
        logical = datetime.datetime(2024, 3, 5, tzinfo=datetime.UTC)
        DagRunApi(api).trigger_dag_run("dates_dag", TriggerDAGRunPostBody(logical_date=logical, dag_run_id="in_2024"))
        assert running.run_to_finish("dates_dag", "in_2024") == "success", running.app.output()
        tis = TaskInstanceApi(api).get_task_instances("dates_dag", "in_2024").task_instances
        assert [(t.task_id, t.state.value) for t in tis] == [("runs", "success")]
