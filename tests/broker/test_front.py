"""The broker's lazy front: health probes are answered without building the API (FastAPI, pydantic, authoring code
and the API's record classes are not even imported), the first other request builds it, and health answers the same
body before and after."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from riir_airflow.broker.front import YOUNG_COLLECTION_THRESHOLD, LazyBroker
from tests.broker.conftest import ServerThread, broker_config, free_port, prepare_database

pytestmark = [pytest.mark.postgres]

# Drives the front's ASGI lifespan and one health request by hand in a fresh interpreter, then reports which heavy
# packages that interpreter has imported.
PROBE = """
import asyncio, json, sys
from riir_airflow.broker.front import LazyBroker

async def main():
    front = LazyBroker()
    inbox = asyncio.Queue()
    sent = []
    async def send(message):
        sent.append(message)
    for kind in ("lifespan.startup",):
        await inbox.put({"type": kind})
    life = asyncio.create_task(front({"type": "lifespan"}, inbox.get, send))
    while not sent:
        await asyncio.sleep(0.01)
    scope = {"type": "http", "method": "GET", "path": "/api/v2/monitor/health", "headers": []}
    await front(scope, inbox.get, send)
    loaded = sorted(m for m in ("fastapi", "pydantic", "riir_airflow.authoring.dag", "riir_airflow.broker.schemas",
                                "riir_airflow.metastore.records", "zipfile") if m in sys.modules)
    await inbox.put({"type": "lifespan.shutdown"})
    await life
    print(json.dumps({"messages": [m["type"] for m in sent], "body": json.loads(sent[2]["body"]), "loaded": loaded}))

asyncio.run(main())
"""


async def test_health_is_answered_without_building_the_api(pg_dsn: str, tmp_path: Path) -> None:
    await prepare_database(pg_dsn)
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_dsn}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["messages"] == [
        "lifespan.startup.complete",
        "http.response.start",
        "http.response.body",
        "lifespan.shutdown.complete",
    ]
    assert result["body"]["metadatabase"] == {"status": "healthy"}
    assert result["loaded"] == []


@pytest.mark.parametrize("lazy", ["True", "False"])
async def test_health_body_is_the_routers_and_the_api_builds_on_first_use(
    pg_dsn: str, tmp_path: Path, lazy: str
) -> None:
    await prepare_database(pg_dsn)
    front = LazyBroker(broker_config(tmp_path, pg_dsn, AIRFLOW__BROKER__LAZY_LOAD_API=lazy))
    port = free_port()
    with ServerThread(front, port):
        url = f"http://127.0.0.1:{port}"
        assert (front.api is None) is (lazy == "True")
        before = httpx.get(f"{url}/api/v2/monitor/health")
        version = httpx.get(f"{url}/api/v2/version")
        assert version.status_code == 200 and version.json()["version"] == "3.3.2"
        assert front.api is not None
        after = httpx.get(f"{url}/api/v2/monitor/health")  # now served by the FastAPI router
        refused = httpx.get(f"{url}/api/v2/dags", headers={"Authorization": "Bearer nonsense"})
    assert before.status_code == after.status_code == 200
    assert before.headers["content-type"] == after.headers["content-type"] == "application/json"
    assert before.json() == after.json()
    assert refused.status_code == 403  # the full API's auth answered
    assert gc.get_threshold()[0] >= YOUNG_COLLECTION_THRESHOLD  # what a listing holds is not traversed meanwhile


async def test_health_reports_the_newest_heartbeat_of_apps_not_stopped(pg_dsn: str) -> None:
    """`health_payload` (the front's body and the router's) reads one statement of its own: a stopped app's newer
    heartbeat is not the scheduler's, and no running app at all is unhealthy with no heartbeat."""
    from riir_airflow.broker.health import health_payload
    from riir_airflow.config import AirflowConfigParser
    from riir_airflow.metastore import queries as q
    from riir_airflow.metastore.migrate import migrate
    from riir_airflow.metastore.pool import create_pool, settings_from_config

    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    config = AirflowConfigParser(environ={})
    db = await create_pool(settings_from_config(config, dsn=pg_dsn))
    try:
        none = await health_payload(db, config)
        assert none["scheduler"] == {"status": "unhealthy", "latest_scheduler_heartbeat": None}
        for app_id in ("running_old", "stopped_new"):
            await q.register_app(db, app_id, name=f"{app_id}.py", dag_ids=["d"], code_hash="h", hostname="host")
        await db.execute("UPDATE app SET last_heartbeat = now() - interval '2 minutes' WHERE id = 'running_old'")
        await q.set_app_state(db, "stopped_new", "stopped")
        old = await db.fetchval("SELECT last_heartbeat FROM app WHERE id = 'running_old'")
        body = await health_payload(db, config)
        assert body["scheduler"] == {"status": "unhealthy", "latest_scheduler_heartbeat": old.isoformat()}
        assert body["triggerer"] == {"status": "unhealthy", "latest_triggerer_heartbeat": old.isoformat()}
        await db.execute("UPDATE app SET last_heartbeat = now() WHERE id = 'running_old'")
        assert (await health_payload(db, config))["scheduler"]["status"] == "healthy"
    finally:
        await db.close()
