"""Operator extra links through the broker: `GET .../taskInstances/{task_id}/links` answers each link's URL, which the
task stored as an XCom when its try ended (Airflow 3's XComOperatorLink), without the broker importing DAG code."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from airflow_client.client import ApiClient, Configuration
from airflow_client.client.api.dag_api import DAGApi
from airflow_client.client.api.dag_run_api import DagRunApi
from airflow_client.client.api.extra_links_api import ExtraLinksApi
from airflow_client.client.api.task_api import TaskApi
from airflow_client.client.models import DAGPatchBody, TriggerDAGRunPostBody

from riir_airflow.broker.app import create_app
from tests.app.harness import AppProcess, cli, env_for, write_dag
from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port

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
    home = tmp_path / "home"
    home.mkdir()
    env = env_for(pg_dsn, home)
    cli(env, "db", "migrate")
    dags = tmp_path / "dags"
    dags.mkdir()
    app = AppProcess(env, write_dag(dags, "links_dag.py", LINKS_DAG), tmp_path / "app.log")
    port = free_port()
    try:
        with ServerThread(create_app(broker_config(tmp_path, pg_dsn)), port):
            url = f"http://127.0.0.1:{port}"
            login = {"username": "user", "password": PASSWORD.format("user")}
            token = httpx.post(f"{url}/auth/token", json=login).json()["access_token"]
            with ApiClient(Configuration(host=url, access_token=token)) as api:
                deadline = time.monotonic() + 30
                while not DAGApi(api).get_dags(dag_id_pattern="links_dag").dags:  # the app registers its DAG
                    assert time.monotonic() < deadline and app.proc.poll() is None, app.output()
                    time.sleep(0.2)
                assert TaskApi(api).get_task("links_dag", "documented").extra_links == ["Run docs"]
                DAGApi(api).patch_dag("links_dag", DAGPatchBody(is_paused=False))
                DagRunApi(api).trigger_dag_run(
                    "links_dag", TriggerDAGRunPostBody(logical_date=None, dag_run_id="with_links")
                )
                deadline = time.monotonic() + 60
                while DagRunApi(api).get_dag_run("links_dag", "with_links").state.value not in ("success", "failed"):
                    assert time.monotonic() < deadline, app.output()
                    time.sleep(0.3)
                links = ExtraLinksApi(api).get_extra_links("links_dag", "with_links", "documented")
                assert links.extra_links == {"Run docs": "https://docs.example/links_dag/with_links/setup"}
                assert links.total_entries == 1
            missing = httpx.get(
                f"{url}/api/v2/dags/links_dag/dagRuns/with_links/taskInstances/nope/links",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert missing.status_code == 404 and missing.json()["detail"] == "TaskInstance not found"
    finally:
        app.stop()
