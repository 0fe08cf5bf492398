"""`POST /dags/{dag_id}/clearTaskInstances` with a [task_id, map_index] pair clears only that index (a bare task id
clears every index), as Airflow's task_ids does."""

from __future__ import annotations

import datetime

import asyncpg
import pytest

from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import NewTaskInstance
from tests.broker.conftest import Broker
from tests.broker.seed import DAG_ID

pytestmark = pytest.mark.postgres

RUN = "manual__mapped"


async def _states(db: asyncpg.Pool) -> dict[tuple[str, int], str | None]:
    rows = await db.fetch("SELECT task_id, map_index, state FROM task_instance WHERE run_id = $1", RUN)
    return {(r["task_id"], r["map_index"]): r["state"] for r in rows}


async def test_clearing_one_map_index_clears_only_that_index(broker: Broker, db: asyncpg.Pool) -> None:
    version = await db.fetchval("SELECT id FROM dag_version WHERE dag_id = $1", DAG_ID)
    when = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
    tasks = [NewTaskInstance("extract", i, state="success") for i in range(3)]
    tasks.append(NewTaskInstance("load", state="success"))
    await q.create_dag_run(db, DAG_ID, RUN, run_type="manual", logical_date=when, data_interval=(when, when),
                           run_after=when, conf={}, state="success", dag_version_id=version, triggered_by="rest_api",
                           tasks=tasks)  # fmt: skip
    url = f"/api/v2/dags/{DAG_ID}/clearTaskInstances"
    every = {"dag_run_id": RUN, "dry_run": False, "only_failed": False}
    with broker.client() as client:
        bad = client.post(url, json={**every, "task_ids": [["extract", "one"]]})
        assert bad.status_code == 400
        assert "neither a task id nor a [task_id, map_index] pair" in bad.json()["detail"]
        one = client.post(url, json={**every, "task_ids": [["extract", 1]]})
        assert one.status_code == 200, one.text
        assert [(t["task_id"], t["map_index"]) for t in one.json()["task_instances"]] == [("extract", 1)]
        assert await _states(db) == {("extract", 0): "success", ("extract", 1): None, ("extract", 2): "success",
                                     ("load", -1): "success"}  # fmt: skip
        assert await db.fetchval("SELECT state FROM dag_run WHERE run_id = $1", RUN) == "queued"
        # With Downstream: the index and the whole downstream task (load depends on all of extract's indexes).
        both = client.post(url, json={**every, "dry_run": True, "include_downstream": True,
                                      "task_ids": [["extract", 2]]})  # fmt: skip
        assert sorted((t["task_id"], t["map_index"]) for t in both.json()["task_instances"]) == [
            ("extract", 2),
            ("load", -1),
        ]
        whole = client.post(url, json={**every, "task_ids": ["extract"]})
        assert whole.json()["total_entries"] == 3
