"""Asset-triggered DAGs between two real apps: a producer app's asset events trigger consumer DAGs in another app,
with `&` / `|` conditions, an `AssetAlias`, and an `AssetWatcher` (event-driven scheduling with the standard
provider's FileDeleteTrigger); the consumer's tasks read `triggering_asset_events`."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from riir_airflow.broker.app import create_app
from tests.app.harness import cli, start_app, wait_for, wait_run_done, write_dag
from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(240)]

PRODUCER = """
    import pendulum
    from airflow.sdk import DAG, Asset, AssetAlias, task

    for dag_id, outlet in (("make_a", Asset("a")), ("make_b", Asset("b", uri="s3://bkt/b"))):
        with DAG(dag_id, schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
            @task(outlets=[outlet])
            def emit(outlet_events=None, outlet=outlet):
                outlet_events[outlet].extra = {"by": "producer"}

            emit()

    with DAG("make_c", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        @task(outlets=[AssetAlias("al")])
        def emit_through_alias(outlet_events=None):
            outlet_events[AssetAlias("al")].add(Asset("c"), extra={"via": "alias"})

        emit_through_alias()
"""

CONSUMER = """
    import pendulum
    from airflow.sdk import DAG, Asset, AssetAlias, AssetWatcher, task
    from airflow.providers.standard.triggers.file import FileDeleteTrigger

    @task
    def seen(triggering_asset_events=None):
        return {
            f"{type(key).__name__}:{key.name}": [[e.source_dag_id, e.extra] for e in events]
            for key, events in sorted(triggering_asset_events.items(), key=lambda kv: kv[0].name)
        }

    watched = Asset("w", watchers=[AssetWatcher(name="w1", trigger=FileDeleteTrigger(filepath=WATCHED_FILE,
                                                                                      poke_interval=0.2))])
    schedules = {
        "both": Asset("a") & Asset("b", uri="s3://bkt/b"),
        "either": Asset("a") | AssetAlias("al"),
        "watched": [watched],
    }
    for dag_id, schedule in schedules.items():
        with DAG(dag_id, schedule=schedule, start_date=pendulum.datetime(2024, 1, 1)):
            seen()
"""


async def _asset_runs(db: asyncpg.Connection, dag_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT r.run_id, r.run_type, r.triggered_by, r.logical_date, r.state, x.value FROM dag_run r "
        "LEFT JOIN xcom x ON x.dag_id = r.dag_id AND x.run_id = r.run_id AND x.key = 'return_value' "
        "WHERE r.dag_id = $1 ORDER BY r.id",
        dag_id,
    )
    return [dict(r) for r in rows]


async def _runs_done(db: asyncpg.Connection, dag_id: str, count: int) -> list[dict[str, Any]] | None:
    runs = await _asset_runs(db, dag_id)
    return runs if len(runs) >= count and all(r["state"] == "success" for r in runs) else None


async def test_asset_events_of_one_app_trigger_dags_of_another(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path, pg_dsn: str
) -> None:
    watched_file = tmp_path / "watched.flag"
    source = CONSUMER.replace("WATCHED_FILE", repr(str(watched_file)))
    # Each app under its own confined role (`db grant-app`): what crosses goes through the metastore's checked paths.
    consumer_env = {**app_env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": cli(
        app_env, "db", "grant-app", "both", "either", "watched").stdout.strip()}  # fmt: skip
    producer_env = {**app_env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": cli(
        app_env, "db", "grant-app", "make_a", "make_b", "make_c").stdout.strip()}  # fmt: skip
    consumer = await start_app(consumer_env, db, write_dag(dags, "consumer.py", source), tmp_path / "consumer.log")
    try:
        producer = await start_app(producer_env, db, write_dag(dags, "producer.py", PRODUCER), tmp_path / "p.log")
    except BaseException:
        consumer.terminate()
        raise
    try:
        # `a` alone: `either` (a | alias) runs, `both` (a & b) waits for b.
        cli(app_env, "dags", "trigger", "make_a", "-r", "p1")
        assert await wait_run_done(db, "make_a", "p1") == "success", producer.output()
        either = await wait_for(lambda: _runs_done(db, "either", 1), 60, "the first run of `either`")
        assert (either[0]["run_type"], either[0]["triggered_by"], either[0]["logical_date"]) == (
            "asset_triggered", "asset", None,
        )  # fmt: skip
        assert either[0]["run_id"].startswith("asset_triggered__")
        assert json.loads(either[0]["value"]) == {"Asset:a": [["make_a", {"by": "producer"}]]}
        assert await _asset_runs(db, "both") == []

        # Then `b`: `both` runs, consuming both events; `either` does not run again.
        cli(app_env, "dags", "trigger", "make_b", "-r", "p2")
        assert await wait_run_done(db, "make_b", "p2") == "success", producer.output()
        both = await wait_for(lambda: _runs_done(db, "both", 1), 60, "the run of `both`")
        assert json.loads(both[0]["value"]) == {
            "Asset:a": [["make_a", {"by": "producer"}]], "Asset:b": [["make_b", {"by": "producer"}]],
        }  # fmt: skip

        # An event through the alias: `either` runs a second time, with the event under the alias and its asset.
        cli(app_env, "dags", "trigger", "make_c", "-r", "p3")
        assert await wait_run_done(db, "make_c", "p3") == "success", producer.output()
        either = await wait_for(lambda: _runs_done(db, "either", 2), 60, "the second run of `either`")
        assert json.loads(either[1]["value"]) == {
            "AssetAlias:al": [["make_c", {"via": "alias"}]], "Asset:c": [["make_c", {"via": "alias"}]],
        }  # fmt: skip
        assert len(await _asset_runs(db, "both")) == 1

        # The watcher: the file appears, the trigger deletes it and fires, the asset's event triggers `watched`.
        watched_file.write_text("go")
        watched = await wait_for(lambda: _runs_done(db, "watched", 1), 60, "the watcher-triggered run")
        ((key, events),) = json.loads(watched[0]["value"]).items()
        assert key == "Asset:w" and events[0][0] is None and events[0][1]["from_trigger"] is True
        assert not watched_file.exists()
        assert "NOT confined" not in consumer.output() + producer.output()
        # Each event queues the consumer once: nothing else ran.
        assert [len(await _asset_runs(db, d)) for d in ("both", "either", "watched")] == [1, 2, 1]

        # The REST API lists what a run consumed.
        port = free_port()
        with contextlib.ExitStack() as stack, ServerThread(create_app(broker_config(tmp_path, pg_dsn)), port):
            url = f"http://127.0.0.1:{port}"
            login = {"username": "admin", "password": PASSWORD.format("admin")}
            token = httpx.post(f"{url}/auth/token", json=login).json()["access_token"]
            api = stack.enter_context(
                httpx.Client(base_url=f"{url}/api/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30)
            )
            response = api.get(f"/dags/both/dagRuns/{both[0]['run_id']}/upstreamAssetEvents")
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["total_entries"] == 2
            assert [(e["name"], e["source_dag_id"], e["extra"]) for e in body["asset_events"]] == [
                ("a", "make_a", {"by": "producer"}), ("b", "make_b", {"by": "producer"}),
            ]  # fmt: skip
    finally:
        producer.terminate()
        consumer.terminate()
