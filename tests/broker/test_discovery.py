"""Discovery of DAG apps (healthy / stale / gone), health, and config exposure."""

from __future__ import annotations

import asyncpg
import pytest

from riir_airflow.metastore import queries as q
from tests.broker.conftest import Broker
from tests.broker.seed import DAG_ID

pytestmark = pytest.mark.postgres


async def test_apps_status(broker: Broker, db: asyncpg.Pool) -> None:
    for app_id in ("fresh", "quiet", "old", "stopped"):
        await q.register_app(db, app_id, name=f"{app_id}.py", dag_ids=[DAG_ID], code_hash="h", hostname="host")
    await db.execute("UPDATE app SET last_heartbeat = now() - interval '2 minutes' WHERE id = 'quiet'")
    await db.execute("UPDATE app SET last_heartbeat = now() - interval '1 hour' WHERE id = 'old'")
    await q.set_app_state(db, "stopped", "stopped")
    with broker.client("viewer") as client:
        body = client.get("/api/v2/apps").json()
    status = {a["id"]: a["status"] for a in body["apps"]}
    assert status == {"fresh": "healthy", "quiet": "stale", "old": "gone", "stopped": "gone"}
    fresh = next(a for a in body["apps"] if a["id"] == "fresh")
    assert fresh["dags"] == [{"dag_id": DAG_ID, "version_number": 1, "is_paused": fresh["dags"][0]["is_paused"]}]
    assert fresh["heartbeat_age_seconds"] < 60
    with broker.client(None) as client:
        health = client.get("/api/v2/monitor/health").json()
    assert health["metadatabase"] == {"status": "healthy"}
    assert health["scheduler"]["status"] == "healthy"  # the fresh app heartbeats


async def test_stale_dag_is_hidden_by_default_but_listed_on_request(broker: Broker, db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "retired_dag", fileloc="/dags/retired.py")
    await q.mark_dags_stale(db, ["retired_dag"])
    with broker.client() as client:
        default = [d["dag_id"] for d in client.get("/api/v2/dags").json()["dags"]]
        everything = client.get("/api/v2/dags", params={"exclude_stale": False}).json()["dags"]
    assert "retired_dag" not in default
    assert {d["dag_id"]: d["is_stale"] for d in everything}["retired_dag"] is True


def test_config_exposure(broker: Broker) -> None:
    with broker.client("viewer") as client:
        section = client.get("/api/v2/config", params={"section": "api_auth"}).json()
    options = {o["key"]: o["value"] for o in section["sections"][0]["options"]}
    assert options["jwt_secret"] == "< hidden >"  # sensitive values are always masked
    with broker.client() as client:
        missing = client.get("/api/v2/config/section/core/option/nope")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Option [core/nope] not found."})
