"""`POST /dags/{dag_id}/dagRuns` checks conf against the DAG's Params (from its serialized version, since the broker
never imports DAG code) and answers 400 with Airflow's message, creating no run."""

from __future__ import annotations

import asyncpg
import pendulum
import pytest

from riir_airflow.metastore import queries as q
from riir_airflow.sdk import DAG, Param
from riir_airflow.serialization.serialized_dag import dag_hash, serialize_dag
from tests.broker.conftest import Broker

pytestmark = pytest.mark.postgres

DAG_ID = "conf_checked"


async def test_trigger_conf_is_validated_against_params(broker: Broker, db: asyncpg.Pool) -> None:
    with DAG(DAG_ID, schedule=None, start_date=pendulum.datetime(2025, 1, 1),
             params={"count": Param(3, type="integer", minimum=1), "name": Param(type="string"),
                     "note": Param(None, type=["null", "string"])}) as dag:  # fmt: skip
        pass
    document = serialize_dag(dag)
    await q.upsert_dag(db, DAG_ID, fileloc=f"/dags/{DAG_ID}.py", relative_fileloc=f"{DAG_ID}.py", owners="x", tags=[],
                       timetable_summary=None, timetable_description=None, is_paused_upon_creation=False)  # fmt: skip
    await q.add_dag_version(db, DAG_ID, document, dag_hash(document), bundle_name="dags-folder")
    url = f"/api/v2/dags/{DAG_ID}/dagRuns"
    with broker.client() as client:
        low = client.post(url, json={"logical_date": None, "conf": {"count": 0, "name": "a"}})
        assert (low.status_code, low.json()["detail"]) == (400, "Invalid input for param count: 0 is less than the "
                                                                "minimum of 1")  # fmt: skip
        missing = client.post(url, json={"logical_date": None, "conf": {"count": 2}})
        assert missing.status_code == 400
        no_value = "Invalid input for param name: No value passed and Param has no default value"
        assert missing.json()["detail"] == no_value
        wrong = client.post(url, json={"logical_date": None, "conf": {"name": 5}})
        assert (wrong.status_code, wrong.json()["detail"]) == (400, "Invalid input for param name: 5 is not of type "
                                                                    "'string'")  # fmt: skip
        assert await db.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = $1", DAG_ID) == 0
        # Defaults fill what conf leaves out; keys that are no Param pass through, as in Airflow.
        ok = client.post(url, json={"logical_date": None, "conf": {"name": "b", "extra": [1]}})
        assert ok.status_code == 200, ok.text
        assert ok.json()["conf"] == {"name": "b", "extra": [1]}
