"""Operator extra links through the broker: `GET .../taskInstances/{task_id}/links` answers each link's URL, which the
task stored as an XCom when its try ended (Airflow 3's XComOperatorLink), without the broker importing DAG code."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from airflow_client.client.api.dag_api import DAGApi
from airflow_client.client.api.dag_run_api import DagRunApi
from airflow_client.client.api.extra_links_api import ExtraLinksApi
from airflow_client.client.api.task_api import TaskApi
from airflow_client.client.models import DAGPatchBody, TriggerDAGRunPostBody

from tests.broker.broker_with_app import broker_with_app

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(120)]

LINKS_DAG = """
    from airflow.sdk import DAG, BaseOperator, BaseOperatorLink
    import pendulum

    class RunDocs(BaseOperatorLink):
        name = "Run docs"

        def get_link(self, operator, *, ti_key):
            return f"https://docs.example/{ti_key.dag_id}/{ti_key.run_id}/{operator.topic}"

    class Documented(BaseOperator):
        operator_extra_links = (RunDocs(),)

        def __init__(self, *, topic, **kwargs):
            super().__init__(**kwargs)
            self.topic = topic

        def execute(self, context):
            return self.topic

    with DAG("links_dag", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        Documented(task_id="documented", topic="setup")
"""


def test_extra_links_of_a_finished_task(pg_dsn: str, tmp_path: Path) -> None:
    with broker_with_app(pg_dsn, tmp_path, "links_dag.py", LINKS_DAG, "links_dag") as running:
        api = running.api
        assert TaskApi(api).get_task("links_dag", "documented").extra_links == ["Run docs"]
        DAGApi(api).patch_dag("links_dag", DAGPatchBody(is_paused=False))
        DagRunApi(api).trigger_dag_run("links_dag", TriggerDAGRunPostBody(logical_date=None, dag_run_id="with_links"))
        running.run_to_finish("links_dag", "with_links")
        links = ExtraLinksApi(api).get_extra_links("links_dag", "with_links", "documented")
        assert links.extra_links == {"Run docs": "https://docs.example/links_dag/with_links/setup"}
        assert links.total_entries == 1
        missing = httpx.get(
            f"{running.url}/api/v2/dags/links_dag/dagRuns/with_links/taskInstances/nope/links",
            headers={"Authorization": f"Bearer {running.token}"},
        )
        assert missing.status_code == 404 and missing.json()["detail"] == "TaskInstance not found"
