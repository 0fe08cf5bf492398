"""The official `apache-airflow-client` (unmodified, from PyPI) drives the broker."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from airflow_client.client import ApiClient, Configuration
from airflow_client.client.api.backfill_api import BackfillApi
from airflow_client.client.api.connection_api import ConnectionApi
from airflow_client.client.api.dag_api import DAGApi
from airflow_client.client.api.dag_run_api import DagRunApi
from airflow_client.client.api.task_instance_api import TaskInstanceApi
from airflow_client.client.api.variable_api import VariableApi
from airflow_client.client.api.x_com_api import XComApi
from airflow_client.client.exceptions import ForbiddenException, NotFoundException, UnauthorizedException
from airflow_client.client.models import (
    BackfillPostBody,
    ConnectionBody,
    DAGPatchBody,
    TriggerDAGRunPostBody,
    VariableBody,
)

from tests.broker.conftest import Broker
from tests.broker.seed import DAG_ID, RUN_ID

pytestmark = pytest.mark.postgres


@pytest.fixture
def api(broker: Broker) -> Iterator[ApiClient]:
    config = Configuration(host=broker.url, access_token=broker.tokens["admin"])
    with ApiClient(config) as client:
        yield client


def test_list_and_pause_dags(api: ApiClient) -> None:
    dags = DAGApi(api)
    listing = dags.get_dags()
    assert [d.dag_id for d in listing.dags] == [DAG_ID]
    assert listing.total_entries == 1
    assert dags.patch_dag(DAG_ID, DAGPatchBody(is_paused=False)).is_paused is False
    assert dags.get_dag(DAG_ID).is_paused is False
    assert dags.patch_dag(DAG_ID, DAGPatchBody(is_paused=True)).is_paused is True
    details = dags.get_dag_details(DAG_ID)
    assert details.latest_dag_version is not None and details.latest_dag_version.version_number == 1
    with pytest.raises(NotFoundException):
        dags.get_dag("no_such_dag")


def test_trigger_run_with_conf(api: ApiClient) -> None:
    runs = DagRunApi(api)
    logical = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
    run = runs.trigger_dag_run(
        DAG_ID, TriggerDAGRunPostBody(logical_date=logical, conf={"rows": 5}, dag_run_id="client_trigger")
    )
    assert (run.dag_run_id, run.state.value, run.conf, run.run_type.value) == (
        "client_trigger", "queued", {"rows": 5}, "manual",
    )  # fmt: skip
    assert run.logical_date == logical and run.triggered_by.value == "rest_api"
    fetched = runs.get_dag_run(DAG_ID, "client_trigger")
    assert fetched.conf == {"rows": 5} and fetched.dag_versions[0].version_number == 1
    listed = runs.get_dag_runs(DAG_ID, state=["queued"])
    assert "client_trigger" in [r.dag_run_id for r in listed.dag_runs]
    # Same logical date again: Airflow answers 409.
    from airflow_client.client.exceptions import ConflictException

    with pytest.raises(ConflictException):
        runs.trigger_dag_run(DAG_ID, TriggerDAGRunPostBody(logical_date=logical))
    runs.delete_dag_run(DAG_ID, "client_trigger")
    with pytest.raises(NotFoundException):
        runs.get_dag_run(DAG_ID, "client_trigger")


def test_task_instances_logs_and_xcom(api: ApiClient) -> None:
    tis = TaskInstanceApi(api)
    listing = tis.get_task_instances(DAG_ID, RUN_ID)
    assert sorted(t.task_id for t in listing.task_instances) == ["extract", "load", "transform"]
    assert {t.state.value for t in listing.task_instances} == {"success"}
    one = tis.get_task_instance(DAG_ID, RUN_ID, "transform")
    assert (one.try_number, one.hostname, one.pid) == (1, "localhost", 4242)
    tries = tis.get_task_instance_tries(DAG_ID, RUN_ID, "transform")
    assert [t.try_number for t in tries.task_instances] == [1]
    log = tis.get_log(DAG_ID, RUN_ID, "extract", 1)
    lines = [item.event for item in log.content.actual_instance]
    assert lines == ["extract: line 1", "extract: line 2", "extract: line 3"]
    # Nothing new after the continuation token.
    rest = tis.get_log(DAG_ID, RUN_ID, "extract", 1, token=log.continuation_token)
    assert rest.content.actual_instance == []
    xcom = XComApi(api).get_xcom_entry(DAG_ID, "transform", RUN_ID, "return_value")
    assert xcom.actual_instance.value == {"task": "transform"}
    entries = XComApi(api).get_xcom_entries(DAG_ID, RUN_ID, "~")
    assert entries.total_entries == 3


def test_variables_crud(api: ApiClient) -> None:
    variables = VariableApi(api)
    created = variables.post_variable(VariableBody(key="client_var", value="one", description="from the client"))
    assert (created.key, created.value) == ("client_var", "one")
    assert variables.get_variable("client_var").value == "one"
    variables.patch_variable("client_var", VariableBody(key="client_var", value="two"))
    assert variables.get_variable("client_var").value == "two"
    assert "client_var" in [v.key for v in variables.get_variables().variables]
    variables.delete_variable("client_var")
    with pytest.raises(NotFoundException):
        variables.get_variable("client_var")


def test_connections_crud(api: ApiClient) -> None:
    connections = ConnectionApi(api)
    body = ConnectionBody(connection_id="client_conn", conn_type="postgres", host="db", port=5432, login="me",
                          password="secret")  # fmt: skip
    created = connections.post_connection(body)
    assert (created.connection_id, created.host, created.port, created.password) == ("client_conn", "db", 5432, "***")
    connections.patch_connection(
        "client_conn", ConnectionBody(connection_id="client_conn", conn_type="postgres", host="db2"),
        update_mask=["host"],
    )  # fmt: skip
    updated = connections.get_connection("client_conn")
    assert (updated.host, updated.port, updated.login) == ("db2", 5432, "me")
    connections.delete_connection("client_conn")
    with pytest.raises(NotFoundException):
        connections.get_connection("client_conn")


def test_create_backfill(api: ApiClient) -> None:
    body = BackfillPostBody(
        dag_id=DAG_ID,
        from_date=datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC),
        to_date=datetime.datetime(2025, 3, 3, tzinfo=datetime.UTC),
        run_backwards=True,
        dag_run_conf={"backfilled": True},
    )
    backfills = BackfillApi(api)
    created = backfills.create_backfill(body)
    assert created.dag_id == DAG_ID and created.is_paused is False
    runs = DagRunApi(api).get_dag_runs(DAG_ID, run_type=["backfill"], order_by=["logical_date"])
    assert [r.logical_date.day for r in runs.dag_runs] == [1, 2, 3]
    assert all(r.conf == {"backfilled": True} for r in runs.dag_runs)
    assert backfills.pause_backfill(created.id).is_paused is True
    cancelled = backfills.cancel_backfill(created.id)
    assert cancelled.completed_at is not None
    assert [b.id for b in backfills.list_backfills(dag_id=DAG_ID).backfills] == [created.id]


def test_client_auth_errors(broker: Broker) -> None:
    with ApiClient(Configuration(host=broker.url)) as anonymous, pytest.raises(UnauthorizedException):
        DAGApi(anonymous).get_dags()
    viewer = Configuration(host=broker.url, access_token=broker.tokens["viewer"])
    with ApiClient(viewer) as client, pytest.raises(ForbiddenException):
        DagRunApi(client).trigger_dag_run(DAG_ID, TriggerDAGRunPostBody(logical_date=None))
