"""A small DAG's rows in a metastore, written the way a DAG app writes them (serialize_dag + the metastore's query
functions): the DAG, its serialized version, a finished manual run with task tries, logs and XCom, an asset with an
event, a pool and an audit event."""

from __future__ import annotations

import datetime
from typing import Any

import pendulum

from riir_airflow.metastore import queries as q
from riir_airflow.metastore.queries import Db
from riir_airflow.metastore.records import NewTaskInstance, StateChange, TaskInstanceKey
from riir_airflow.sdk import DAG, task
from riir_airflow.serialization.serialized_dag import dag_hash, serialize_dag

DAG_ID = "broker_example"
RUN_ID = "manual__2026-01-01T00:00:00+00:00"
LOGICAL_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
TASKS = ("extract", "transform", "load")


def build_dag() -> DAG:
    """The same DAG as compat-tests/api/dags/broker_example.py."""
    with DAG(DAG_ID, schedule="0 0 * * *", start_date=pendulum.datetime(2025, 12, 1), catchup=False,
             tags=["example"]) as dag:  # fmt: skip

        @task
        def extract() -> dict[str, str]:
            return {"task": "extract"}

        @task
        def transform(data: dict[str, str]) -> dict[str, str]:
            return data

        @task
        def load(data: dict[str, str]) -> None:
            print(data)

        load(transform(extract()))
    return dag


def serialized_dag() -> dict[str, Any]:
    return serialize_dag(build_dag())


async def seed(db: Db) -> None:
    dag = build_dag()
    document = serialize_dag(dag)
    await q.upsert_dag(
        db, DAG_ID, fileloc=f"/dags/{DAG_ID}.py", relative_fileloc=f"{DAG_ID}.py", owners=dag.owner,
        tags=sorted(dag.tags), timetable_summary=document["schedule"]["summary"],
        timetable_description=document["schedule"]["description"], is_paused_upon_creation=True,
    )  # fmt: skip
    version = await q.add_dag_version(db, DAG_ID, document, dag_hash(document), bundle_name="dags-folder")
    await q.create_dag_run(
        db, DAG_ID, RUN_ID, run_type="manual", logical_date=LOGICAL_DATE, data_interval=(LOGICAL_DATE, LOGICAL_DATE),
        run_after=LOGICAL_DATE, conf={"source": "seed"}, state="running", dag_version_id=version.id,
        triggered_by="rest_api",
        tasks=[NewTaskInstance(task_id=t, max_tries=0, operator="_PythonDecoratedOperator") for t in TASKS],
    )  # fmt: skip
    # Run each task once, as an app does: scheduled -> claimed -> running -> success, with logs and XCom.
    for task_id in TASKS:
        await q.set_task_states(db, DAG_ID, RUN_ID, [StateChange(task_id, "scheduled", (None,))])
        (ti,) = await q.claim_ready_tries(db, app_id="seed-app", hostname="localhost", limit=1, dag_ids=[DAG_ID])
        started = await q.start_try(db, ti.id, ti.try_number, pid=4242, hostname="localhost")
        assert started is not None
        key = TaskInstanceKey(DAG_ID, RUN_ID, task_id)
        await q.append_task_log(db, key, ti.try_number, [f"{task_id}: line {n}" for n in range(1, 4)])
        await q.record_task_result(db, ti.id, ti.try_number, "success", xcoms={"return_value": {"task": task_id}})
    await q.set_dag_run_state(db, DAG_ID, RUN_ID, "success")
    asset = await q.upsert_asset(db, "orders", "s3://bucket/orders", extra={"owner": "data"})
    await q.record_asset_event(db, asset.id, extra={"rows": 10})
    await q.upsert_pool(db, "small_pool", 2, description="two slots")
    await q.record_event(db, "cli_dags_list", owner="admin")
