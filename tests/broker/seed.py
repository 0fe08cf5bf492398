"""A small DAG's rows in a metastore, written with the metastore's own query functions (as a DAG app would):
the DAG, a serialized version, a finished manual run with task tries, logs and XCom, an asset with an event."""

from __future__ import annotations

import datetime
from typing import Any

from riir_airflow._internal.timetables import CronDataIntervalTimetable, encode_timetable
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.queries import Db
from riir_airflow.metastore.records import NewTaskInstance, StateChange, TaskInstanceKey

DAG_ID = "broker_example"
RUN_ID = "manual__2026-01-01T00:00:00+00:00"
LOGICAL_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
TASKS = ("extract", "transform", "load")


def serialized_dag() -> dict[str, Any]:
    """The shape riir_airflow._internal.serialization gives a DAG (what the DAG app stores in dag_version)."""
    timetable = CronDataIntervalTimetable("0 0 * * *", "UTC")
    tasks = []
    for i, task_id in enumerate(TASKS):
        tasks.append({
            "task_id": task_id, "task_type": "PythonOperator", "operator_name": "@task",
            "task_module": "airflow.providers.standard.operators.python", "trigger_rule": "all_success",
            "upstream": list(TASKS[:i][-1:]), "downstream": list(TASKS[i + 1 :][:1]), "task_group": None,
            "is_mapped": False, "retries": 1, "pool": "default_pool", "owner": "airflow",
            "template_fields": ["templates_dict", "op_args", "op_kwargs"], "doc_md": None,
        })  # fmt: skip
    return {
        "dag_id": DAG_ID,
        "fileloc": f"/dags/{DAG_ID}.py",
        "tasks": tasks,
        "task_group": {"_group_id": None, "children": list(TASKS)},
        "params": {},
        "schedule": "0 0 * * *",
        "timetable": encode_timetable(timetable),
        "timetable_summary": timetable.summary,
        "tags": ["example"],
        "catchup": False,
        "start_date": "2025-12-01T00:00:00+00:00",
        "timezone": "UTC",
        "edge_info": {},
        "doc_md": "An example",
    }


async def seed(db: Db) -> None:
    await q.upsert_dag(
        db, DAG_ID, fileloc=f"/dags/{DAG_ID}.py", relative_fileloc=f"{DAG_ID}.py", owners="airflow", tags=["example"],
        timetable_summary="0 0 * * *", timetable_description="At 00:00", is_paused_upon_creation=True,
    )  # fmt: skip
    version = await q.add_dag_version(db, DAG_ID, serialized_dag(), "hash-1", bundle_name="dags-folder")
    await q.create_dag_run(
        db, DAG_ID, RUN_ID, run_type="manual", logical_date=LOGICAL_DATE, data_interval=(LOGICAL_DATE, LOGICAL_DATE),
        run_after=LOGICAL_DATE, conf={"source": "seed"}, state="running", dag_version_id=version.id,
        triggered_by="rest_api",
        tasks=[NewTaskInstance(task_id=t, max_tries=1, operator="PythonOperator") for t in TASKS],
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
