"""Airflow 3.3 operations the broker once answered with 501, each called for real on a seeded metastore: status
codes, body shapes and the rows they change."""

from __future__ import annotations

import asyncio
import datetime
import json

import asyncpg
import httpx
import pytest

from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import NewTaskInstance
from riir_airflow.serialization.serialized_dag import dag_hash
from tests.broker.conftest import Broker
from tests.broker.seed import DAG_ID, TASKS, serialized_dag

pytestmark = pytest.mark.postgres


async def _other_dag(db: asyncpg.Pool, dag_id: str, *, pool: str | None = None) -> None:
    """A second DAG (a copy of the seed's), optionally with a task in `pool`."""
    await q.upsert_dag(db, dag_id, fileloc=f"/dags/{dag_id}.py", relative_fileloc=f"{dag_id}.py", owners="airflow")
    document = serialized_dag()
    document["dag_id"] = dag_id
    if pool is not None:
        document["tasks"][0]["pool"] = pool
    await q.add_dag_version(db, dag_id, document, dag_hash(document), bundle_name="dags-folder")


async def test_patch_dags_pauses_every_matching_dag(broker: Broker, db: asyncpg.Pool) -> None:
    await _other_dag(db, "bulk_pause_a")
    await _other_dag(db, "bulk_pause_b")
    with broker.client() as client:
        # Without a pattern no DAG matches (Airflow's documented behaviour).
        none = client.patch("/api/v2/dags", json={"is_paused": False})
        assert none.status_code == 200 and none.json() == {"dags": [], "total_entries": 0}
        done = client.patch("/api/v2/dags", params={"dag_id_pattern": "bulk_pause"}, json={"is_paused": False})
        assert done.status_code == 200, done.text
        assert sorted(d["dag_id"] for d in done.json()["dags"]) == ["bulk_pause_a", "bulk_pause_b"]
        assert done.json()["total_entries"] == 2
        bad = client.patch("/api/v2/dags", params={"dag_id_pattern": "~", "update_mask": "tags"},
                           json={"is_paused": True})  # fmt: skip
        assert bad.status_code == 400
        assert bad.json()["detail"] == "Only `is_paused` field can be updated through the REST API"
        assert client.patch("/api/v2/dags", params={"dag_id_pattern": "~"}, json={}).status_code == 422
    paused = await db.fetch("SELECT dag_id, is_paused FROM dag WHERE dag_id LIKE 'bulk_pause%' ORDER BY dag_id")
    assert [tuple(r) for r in paused] == [("bulk_pause_a", False), ("bulk_pause_b", False)]


def test_favorites_are_per_user_and_filter_the_dag_list(broker: Broker) -> None:
    with broker.client("viewer") as viewer, broker.client("admin") as admin:
        assert viewer.post(f"/api/v2/dags/{DAG_ID}/favorite").status_code == 204
        assert viewer.post(f"/api/v2/dags/{DAG_ID}/favorite").status_code == 409
        assert viewer.get(f"/api/v2/dags/{DAG_ID}/details").json()["is_favorite"] is True
        assert admin.get(f"/api/v2/dags/{DAG_ID}/details").json()["is_favorite"] is False
        mine = viewer.get("/api/v2/dags", params={"is_favorite": True}).json()
        assert [d["dag_id"] for d in mine["dags"]] == [DAG_ID]
        assert admin.get("/api/v2/dags", params={"is_favorite": True}).json()["total_entries"] == 0
        not_mine = viewer.get("/api/v2/dags", params={"is_favorite": False}).json()
        assert DAG_ID not in [d["dag_id"] for d in not_mine["dags"]]
        assert viewer.post(f"/api/v2/dags/{DAG_ID}/unfavorite").status_code == 204
        again = viewer.post(f"/api/v2/dags/{DAG_ID}/unfavorite")
        assert again.status_code == 409 and again.json()["detail"] == "Dag is not marked as favorite"
        missing = viewer.post("/api/v2/dags/no_such_dag/favorite")
        assert missing.status_code == 404 and missing.json()["detail"] == "Dag with id 'no_such_dag' not found"


async def test_dag_warnings_name_the_pools_that_do_not_exist(broker: Broker, db: asyncpg.Pool) -> None:
    await _other_dag(db, "warned_dag", pool="no_such_pool")
    with broker.client("viewer") as client:
        body = client.get("/api/v2/dagWarnings").json()
        assert body["total_entries"] == 1
        (warning,) = body["dag_warnings"]
        assert warning["dag_id"] == "warned_dag" and warning["warning_type"] == "non-existent pool"
        assert warning["message"] == "Dag 'warned_dag' references non-existent pools: ['no_such_pool']"
        assert warning["dag_display_name"] == "warned_dag" and warning["timestamp"]
        assert client.get("/api/v2/dagWarnings", params={"dag_id": DAG_ID}).json()["total_entries"] == 0
        assert client.get("/api/v2/dagWarnings", params={"warning_type": "nonsense"}).status_code == 422
        typed = client.get("/api/v2/dagWarnings", params={"warning_type": "asset conflict"}).json()
        assert typed == {"dag_warnings": [], "total_entries": 0}
    await db.execute("INSERT INTO pool (pool, slots) VALUES ('no_such_pool', 1)")
    with broker.client("viewer") as client:
        assert client.get("/api/v2/dagWarnings").json()["total_entries"] == 0


def test_providers_lists_the_installed_distributions(broker: Broker) -> None:
    with broker.client("viewer") as client:
        body = client.get("/api/v2/providers").json()
        names = [p["package_name"] for p in body["providers"]]
        assert "apache-airflow-providers-standard" in names and names == sorted(names)
        assert body["total_entries"] >= len(names)
        standard = next(p for p in body["providers"] if p["package_name"] == "apache-airflow-providers-standard")
        assert set(standard) == {"package_name", "description", "version", "documentation_url"}
        assert standard["documentation_url"].startswith("https://airflow.apache.org/docs/")
        paged = client.get("/api/v2/providers", params={"limit": 1, "offset": 1}).json()
        assert [p["package_name"] for p in paged["providers"]] == names[1:2]


async def test_jobs_are_the_registered_apps(broker: Broker, db: asyncpg.Pool) -> None:
    await db.execute("INSERT INTO app (id, name, dag_ids, hostname, state) VALUES ('job-app', 'x', $1, 'h1', "
                     "'running')", [DAG_ID])  # fmt: skip
    await db.execute("INSERT INTO app (id, name, dag_ids, hostname, state, last_heartbeat) VALUES ('old-app', 'y', "
                     "'{a,b}', 'h2', 'stopped', now() - interval '1 hour')")  # fmt: skip
    with broker.client("viewer") as client:
        body = client.get("/api/v2/jobs", params={"hostname": "h1"}).json()
        (job,) = body["jobs"]
        assert job["dag_id"] == DAG_ID and job["state"] == "running" and job["job_type"] == "SchedulerJob"
        assert job["end_date"] is None and isinstance(job["id"], int) and job["unixname"] is None
        assert job["dag_display_name"] == DAG_ID
        stopped = client.get("/api/v2/jobs", params={"job_state": "success"}).json()["jobs"]
        assert [(j["hostname"], j["dag_id"]) for j in stopped] == [("h2", None)]
        assert stopped[0]["end_date"] is not None
        alive = client.get("/api/v2/jobs", params={"is_alive": True}).json()["jobs"]
        assert "h1" in [j["hostname"] for j in alive] and "h2" not in [j["hostname"] for j in alive]
        ordered = client.get("/api/v2/jobs", params={"order_by": "-id"}).json()["jobs"]
        assert [j["id"] for j in ordered] == sorted((j["id"] for j in ordered), reverse=True)
        assert client.get("/api/v2/jobs", params={"order_by": "nope"}).status_code == 400


async def _run(db: asyncpg.Pool, run_id: str, state: str = "success", *, partition_key: str | None = None) -> None:
    version = await db.fetchval("SELECT id FROM dag_version WHERE dag_id = $1 ORDER BY version_number LIMIT 1", DAG_ID)
    when = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC) + datetime.timedelta(days=len(run_id))
    tasks = [NewTaskInstance(t, state="success") for t in TASKS]
    await q.create_dag_run(db, DAG_ID, run_id, run_type="manual", logical_date=None, data_interval=(when, when),
                           run_after=when, conf={}, state=state, dag_version_id=version, triggered_by="rest_api",
                           tasks=tasks)  # fmt: skip
    if partition_key is not None:
        await db.execute("UPDATE dag_run SET partition_key = $2 WHERE run_id = $1", run_id, partition_key)


async def test_bulk_dag_runs_update_and_delete(broker: Broker, db: asyncpg.Pool) -> None:
    await _run(db, "bulk_a")
    await _run(db, "bulk_b")
    url = f"/api/v2/dags/{DAG_ID}/dagRuns"
    with broker.client() as client:
        update = {"action": "update", "entities": [{"dag_run_id": "bulk_a", "state": "failed", "note": "n"},
                                                   {"dag_run_id": "nope"}]}  # fmt: skip
        failed = client.patch(url, json={"actions": [update]}).json()["update"]
        assert failed["success"] == [] and failed["errors"][0]["status_code"] == 404
        done = client.patch(url, json={"actions": [{**update, "action_on_non_existence": "skip"}]})
        assert done.status_code == 200 and done.json()["update"] == {"success": [f"{DAG_ID}.bulk_a"], "errors": []}
        run = client.get(f"{url}/bulk_a").json()
        assert run["state"] == "failed" and run["note"] == "n"
        create = client.patch(url, json={"actions": [{"action": "create", "entities": []}]}).json()["create"]
        assert create["errors"][0]["status_code"] == 405
        wild = client.patch("/api/v2/dags/~/dagRuns", json={"actions": [{"action": "delete", "entities": ["bulk_b"]}]})
        assert wild.json()["delete"]["errors"][0]["status_code"] == 400
        deleted = client.patch(url, json={"actions": [{"action": "delete", "entities": ["bulk_b"]}]}).json()
        assert deleted["delete"] == {"success": [f"{DAG_ID}.bulk_b"], "errors": []}
        assert client.get(f"{url}/bulk_b").status_code == 404


async def test_clear_dag_runs_by_list_and_by_partition(broker: Broker, db: asyncpg.Pool) -> None:
    await _run(db, "clear_a")
    await _run(db, "clear_b", partition_key="p1")
    url = f"/api/v2/dags/{DAG_ID}/clearDagRuns"
    with broker.client() as client:
        dry = client.post(url, json={"dag_runs": [{"dag_run_id": "clear_a"}, {"dag_run_id": "clear_b"}]}).json()
        assert dry["total_entries"] == 2 * len(TASKS) and {t["dag_run_id"] for t in dry["task_instances"]} == {
            "clear_a", "clear_b"}  # fmt: skip
        done = client.post(url, json={"dry_run": False, "note": "again", "dag_runs": [{"dag_run_id": "clear_a"}]})
        assert done.status_code == 200, done.text
        (run,) = done.json()["dag_runs"]
        assert run["dag_run_id"] == "clear_a" and run["state"] == "queued" and run["note"] == "again"
        by_partition = client.post(url, json={"partition_key": "p1"}).json()
        assert {t["dag_run_id"] for t in by_partition["task_instances"]} == {"clear_b"}
        wrong = client.post(url, json={"dag_runs": [{"dag_run_id": "clear_a", "dag_id": "other"}]})
        assert wrong.status_code == 400
        assert client.post(url, json={"dag_runs": [{"dag_run_id": "nope"}]}).status_code == 404
        tilde = client.post("/api/v2/dags/~/clearDagRuns", json={"partition_key": "p1"})
        assert tilde.status_code == 400


async def test_wait_streams_states_until_the_run_finishes(broker: Broker, db: asyncpg.Pool) -> None:
    await _run(db, "wait_a", state="running")
    url = f"/api/v2/dags/{DAG_ID}/dagRuns/wait_a/wait"

    async def finish_later() -> None:
        await asyncio.sleep(0.5)
        await db.execute("INSERT INTO xcom (dag_id, run_id, task_id, key, value) VALUES ($1, 'wait_a', 'load', "
                         "'return_value', '42')", DAG_ID)  # fmt: skip
        await db.execute("UPDATE dag_run SET state = 'success' WHERE run_id = 'wait_a'")

    async with httpx.AsyncClient(base_url=broker.url, headers={"Authorization": f"Bearer {broker.tokens['viewer']}"},
                                 timeout=30) as client:  # fmt: skip
        finisher = asyncio.create_task(finish_later())
        response = await client.get(url, params={"interval": 0.1, "result": "load"})
        await finisher
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[0] == {"state": "running"} and lines[-1] == {"state": "success", "results": {"load": 42}}
    with broker.client() as client:
        assert client.get(url, params={"interval": 0}).status_code == 422
        assert client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/nope/wait", params={"interval": 1}).status_code == 404


async def test_task_instance_dependencies_say_why_it_waits(broker: Broker, db: asyncpg.Pool) -> None:
    await _run(db, "deps_a", state="queued")
    await db.execute("UPDATE task_instance SET state = NULL, pool = 'missing_pool' WHERE run_id = 'deps_a' "
                     "AND task_id = 'load'")  # fmt: skip
    base = f"/api/v2/dags/{DAG_ID}/dagRuns/deps_a/taskInstances"
    with broker.client("viewer") as client:
        deps = client.get(f"{base}/load/dependencies").json()["dependencies"]
        assert deps == [
            {"name": "Dag Not Paused", "reason": f"Task's DAG '{DAG_ID}' is paused."},
            {"name": "Dagrun Running",
             "reason": "Task instance's dagrun was not in the 'running' state but in the state 'queued'."},
            {"name": "Pool Slots Available",
             "reason": "Tasks using non-existent pool 'missing_pool' will not be scheduled"},
            {"name": "Task Instance State", "reason": "Task is in the 'None' state."},
        ]  # fmt: skip
        assert client.get(f"{base}/extract/dependencies").json() == {"dependencies": []}  # success: nothing to say
        assert client.get(f"{base}/load/-1/dependencies").json()["dependencies"] == deps
        assert client.get(f"{base}/load/3/dependencies").status_code == 404


async def test_mapped_try_external_log_url_and_delete(broker: Broker, db: asyncpg.Pool) -> None:
    await _run(db, "ti_ops")
    await db.execute("UPDATE task_instance SET try_number = 1 WHERE run_id = 'ti_ops'")
    base = f"/api/v2/dags/{DAG_ID}/dagRuns/ti_ops/taskInstances"
    with broker.client() as client:
        tried = client.get(f"{base}/load/-1/tries/1")
        assert tried.status_code == 200 and tried.json()["try_number"] == 1 and tried.json()["map_index"] == -1
        assert client.get(f"{base}/load/-1/tries/2").status_code == 404
        external = client.get(f"{base}/load/externalLogUrl/1")
        assert external.status_code == 400
        assert external.json()["detail"] == "Task log handler does not support external logs."
        assert client.get(f"{base}/load/externalLogUrl/0").status_code == 422
        deleted = client.delete(f"{base}/load")
        assert deleted.status_code == 200 and deleted.json() is None
        assert client.get(f"{base}/load").status_code == 404
        assert client.delete(f"{base}/load").status_code == 404
    with broker.client("viewer") as client:
        assert client.delete(f"{base}/transform").status_code == 403


async def test_task_group_instances_are_marked_together(broker: Broker, db: asyncpg.Pool) -> None:
    document = serialized_dag()
    document["task_group"]["children"] = [*[t for t in document["task_group"]["children"] if t == "load"],
        {**document["task_group"], "group_id": "etl", "children": ["extract", "transform"]}]  # fmt: skip
    await q.add_dag_version(db, DAG_ID, document, dag_hash(document) + "-grouped", bundle_name="dags-folder")
    await _run(db, "group_run")
    base = f"/api/v2/dags/{DAG_ID}/dagRuns/group_run/taskGroupInstances"
    with broker.client() as client:
        dry = client.patch(f"{base}/etl/dry_run", json={"new_state": "failed"}).json()
        assert sorted(t["task_id"] for t in dry["task_instances"]) == ["extract", "transform"]
        assert all(t["state"] == "success" for t in dry["task_instances"])  # nothing changed yet
        listed = client.patch(f"{base}/etl/dry_run", json={}).json()
        assert listed["total_entries"] == 2
        done = client.patch(f"{base}/etl", json={"new_state": "failed", "note": "bad batch"})
        assert done.status_code == 200, done.text
        assert {(t["task_id"], t["state"], t["note"]) for t in done.json()["task_instances"]} == {
            ("extract", "failed", "bad batch"), ("transform", "failed", "bad batch")}  # fmt: skip
        again = client.patch(f"{base}/etl", json={"new_state": "failed"})
        assert again.status_code == 409
        assert again.json()["detail"] == "All task instances in the group are already in failed state"
        assert client.patch(f"{base}/nope", json={"new_state": "failed"}).status_code == 404
    states = await db.fetch("SELECT task_id, state FROM task_instance WHERE run_id = 'group_run' ORDER BY task_id")
    assert [tuple(r) for r in states] == [("extract", "failed"), ("load", "success"), ("transform", "failed")]


async def test_asset_aliases(broker: Broker, db: asyncpg.Pool) -> None:
    alias_id = await db.fetchval("INSERT INTO asset_alias (name) VALUES ('orders_alias') RETURNING id")
    with broker.client("viewer") as client:
        listed = client.get("/api/v2/assets/aliases", params={"name_pattern": "orders"}).json()
        assert listed == {"asset_aliases": [{"id": alias_id, "name": "orders_alias", "group": "asset"}],
                          "total_entries": 1}  # fmt: skip
        assert client.get(f"/api/v2/assets/aliases/{alias_id}").json()["name"] == "orders_alias"
        missing = client.get("/api/v2/assets/aliases/999999")
        assert (
            missing.status_code == 404 and missing.json()["detail"] == "The Asset Alias with ID: `999999` was not found"
        )


async def test_queued_events_list_and_delete(broker: Broker, db: asyncpg.Pool) -> None:
    asset_id = await db.fetchval("SELECT id FROM asset WHERE name = 'orders'")
    await db.execute("INSERT INTO asset_dag_run_queue (asset_id, target_dag_id) VALUES ($1, $2)", asset_id, DAG_ID)
    with broker.client() as client:
        by_asset = client.get(f"/api/v2/assets/{asset_id}/queuedEvents").json()
        assert by_asset["total_entries"] == 1
        (event,) = by_asset["queued_events"]
        assert event["dag_id"] == DAG_ID and event["asset_id"] == asset_id and event["dag_display_name"] == DAG_ID
        assert client.get(f"/api/v2/dags/{DAG_ID}/assets/queuedEvents").json()["queued_events"] == [event]
        assert client.get(f"/api/v2/dags/{DAG_ID}/assets/{asset_id}/queuedEvents").json() == event
        old = client.get(f"/api/v2/assets/{asset_id}/queuedEvents", params={"before": "2000-01-01T00:00:00Z"})
        assert old.json()["total_entries"] == 0
        assert client.delete(f"/api/v2/dags/{DAG_ID}/assets/{asset_id}/queuedEvents").status_code == 204
        gone = client.get(f"/api/v2/dags/{DAG_ID}/assets/{asset_id}/queuedEvents")
        assert gone.status_code == 404
        assert gone.json()["detail"] == f"Queued event with dag_id: `{DAG_ID}` and asset_id: `{asset_id}` was not found"
        assert client.delete(f"/api/v2/assets/{asset_id}/queuedEvents").status_code == 404
        assert client.delete(f"/api/v2/dags/{DAG_ID}/assets/queuedEvents").status_code == 404
    await db.execute("INSERT INTO asset_dag_run_queue (asset_id, target_dag_id) VALUES ($1, $2)", asset_id, DAG_ID)
    with broker.client() as client:
        assert client.delete(f"/api/v2/dags/{DAG_ID}/assets/queuedEvents").status_code == 204
    assert await db.fetchval("SELECT count(*) FROM asset_dag_run_queue") == 0


async def test_materialize_triggers_the_producing_dag(broker: Broker, db: asyncpg.Pool) -> None:
    asset_id = await db.fetchval("SELECT id FROM asset WHERE name = 'orders'")
    with broker.client() as client:
        none = client.post(f"/api/v2/assets/{asset_id}/materialize")
        assert none.status_code == 404 and none.json()["detail"] == f"No Dag materializes asset with ID: {asset_id}"
    await _other_dag(db, "orders_producer")
    document = serialized_dag()
    document["dag_id"] = "orders_producer"
    document["tasks"][0]["outlets"] = [{"__type": "asset", "name": "orders", "uri": "s3://bucket/orders"}]
    await q.add_dag_version(db, "orders_producer", document, dag_hash(document) + "-producer")
    with broker.client() as client:
        run = client.post(f"/api/v2/assets/{asset_id}/materialize", json={"conf": {"x": 1}})
        assert run.status_code == 200, run.text
        body = run.json()
        assert body["dag_id"] == "orders_producer" and body["run_type"] == "asset_materialization"
        assert body["dag_run_id"].startswith("asset_materialization__") and body["conf"] == {"x": 1}
        assert body["state"] == "queued" and body["triggered_by"] == "rest_api"
    await _other_dag(db, "orders_producer_2")
    document["dag_id"] = "orders_producer_2"
    await q.add_dag_version(db, "orders_producer_2", document, dag_hash(document) + "-producer-2")
    with broker.client() as client:
        assert client.post(f"/api/v2/assets/{asset_id}/materialize").status_code == 409


def test_patch_connection_keeps_masked_secrets(broker: Broker) -> None:
    with broker.client() as client:
        created = client.post("/api/v2/connections", json={
            "connection_id": "masked", "conn_type": "postgres", "host": "db", "login": "me", "password": "s3cret",
            "extra": '{"api_key": "k", "region": "eu"}'})  # fmt: skip
        assert created.status_code == 201
        shown = client.get("/api/v2/connections/masked").json()
        assert shown["password"] == "***" and json.loads(shown["extra"]) == {"api_key": "***", "region": "eu"}
        # What a UI sends back after editing the host only: the masked values as it got them.
        patched = client.patch(
            "/api/v2/connections/masked", json={**shown, "host": "db2", "extra": '{"api_key": "***", "region": "us"}'}
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["host"] == "db2" and patched.json()["login"] == "me"
        # Fields not sent stay as they were.
        only_host = client.patch("/api/v2/connections/masked", json={"connection_id": "masked", "conn_type": "postgres",
                                                                      "host": "db3"})  # fmt: skip
        assert only_host.json()["login"] == "me"


async def test_stored_secrets_survive_a_masked_patch(broker: Broker, db: asyncpg.Pool) -> None:
    from riir_airflow.metastore import secrets

    with broker.client() as client:
        client.post("/api/v2/connections", json={"connection_id": "masked2", "conn_type": "http", "password": "pw",
                                                 "extra": '{"token": "t", "x": 1}'})  # fmt: skip
        client.patch(
            "/api/v2/connections/masked2",
            json={
                "connection_id": "masked2",
                "conn_type": "http",
                "password": "***",
                "extra": '{"token": "***", "x": 2}',
            },
        )
    stored = await secrets.get_connection_record(db, "masked2")
    assert stored is not None and stored.password == "pw"
    assert json.loads(stored.extra or "") == {"token": "t", "x": 2}


async def test_default_connections_are_created_once(broker: Broker, db: asyncpg.Pool) -> None:
    with broker.client() as client:
        assert client.post("/api/v2/connections/defaults").status_code == 204
        count = await db.fetchval("SELECT count(*) FROM connection")
        assert client.get("/api/v2/connections/airflow_db").json()["conn_type"] == "mysql"
        assert client.post("/api/v2/connections/defaults").status_code == 204
        assert await db.fetchval("SELECT count(*) FROM connection") == count
    with broker.client("user") as client:
        assert client.post("/api/v2/connections/defaults").status_code == 403


async def test_clear_partitions_forgets_the_partition_of_runs(broker: Broker, db: asyncpg.Pool) -> None:
    await _run(db, "part_a", partition_key="2026-05")
    await _run(db, "part_b", partition_key="2026-05")
    url = f"/api/v2/dags/{DAG_ID}/clearPartitions"
    with broker.client() as client:
        dry = client.post(url, json={"partition_key": "2026-05", "clear_task_instances": True}).json()
        assert dry == {"dag_runs_cleared": 2, "task_instances_cleared": 2 * len(TASKS), "dry_run": True}
        one = client.post(url, json={"run_id": "part_a", "dry_run": False}).json()
        assert one == {"dag_runs_cleared": 1, "task_instances_cleared": 0, "dry_run": False}
        assert client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/part_a").json()["partition_key"] is None
        again = client.post(url, json={"run_id": "part_a", "dry_run": False}).json()
        assert again["dag_runs_cleared"] == 0  # already without partition fields
        both = client.post(url, json={"partition_key": "2026-05", "dry_run": False,
                                      "clear_task_instances": True}).json()  # fmt: skip
        assert both == {"dag_runs_cleared": 1, "task_instances_cleared": len(TASKS), "dry_run": False}
        assert client.post("/api/v2/dags/no_such_dag/clearPartitions", json={}).status_code == 404
    states = await db.fetch("SELECT DISTINCT state FROM task_instance WHERE run_id = 'part_b'")
    assert [r["state"] for r in states] == [None]


async def test_task_state_store_through_the_api(broker: Broker, db: asyncpg.Pool) -> None:
    await _run(db, "store_run")
    base = f"/api/v2/dags/{DAG_ID}/dagRuns/store_run/taskInstances/load/state-store"
    with broker.client() as client:
        assert client.get(base).json() == {"task_state_store": [], "total_entries": 0}
        assert client.put(f"{base}/job/id", json={"value": {"id": 7}}).status_code == 204  # keys may hold "/"
        assert client.put(f"{base}/forever", json={"value": [1], "expires_at": None}).status_code == 204
        got = client.get(f"{base}/job/id").json()
        assert got["key"] == "job/id" and got["value"] == {"id": 7} and got["expires_at"] is not None
        assert client.get(f"{base}/forever").json()["expires_at"] is None
        listed = client.get(base).json()
        assert [e["key"] for e in listed["task_state_store"]] == ["forever", "job/id"]
        patched = client.patch(f"{base}/job/id", json={"value": {"id": 8}})
        assert patched.status_code == 200 and patched.json() is None
        assert client.get(f"{base}/job/id").json()["value"] == {"id": 8}
        assert client.patch(f"{base}/nope", json={"value": 1}).status_code == 404
        missing = client.get(f"{base}/nope")
        assert missing.status_code == 404 and missing.json()["detail"] == "Task state store key 'nope' not found"
        assert client.delete(f"{base}/forever").status_code == 204
        assert client.delete(f"{base}/forever").status_code == 204  # no error for a missing key
        no_ti = client.put(f"/api/v2/dags/{DAG_ID}/dagRuns/store_run/taskInstances/nope/state-store/k",
                           json={"value": 1})  # fmt: skip
        assert no_ti.status_code == 404
        assert no_ti.json()["detail"] == (f"Task instance not found for dag_id='{DAG_ID}', run_id='store_run', "
                                          "task_id='nope', map_index=-1")  # fmt: skip
        assert client.get(base, params={"map_index": -2}).status_code == 422
        assert client.delete(base, params={"all_map_indices": True}).status_code == 204
        assert client.get(base).json()["total_entries"] == 0
    with broker.client("viewer") as client:
        assert client.get(base).status_code == 200
        assert client.put(f"{base}/k", json={"value": 1}).status_code == 403


async def test_parse_dag_file_notifies_the_dags_app(broker: Broker) -> None:
    from riir_airflow.metastore import notify

    heard: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(broker.dsn)
    try:
        await conn.add_listener(notify.dag_channel(DAG_ID), lambda *args: heard.put_nowait(args[3]))
        user = {"Authorization": f"Bearer {broker.tokens['user']}"}
        async with httpx.AsyncClient(base_url=broker.url, timeout=30, headers=user) as client:
            token = (await client.get(f"/api/v2/dags/{DAG_ID}")).json()["file_token"]
            done = await client.put(f"/api/v2/parseDagFile/{token}")
            assert done.status_code == 201 and done.json() is None
            payload = json.loads(await asyncio.wait_for(heard.get(), 10))
            assert payload == {"event": "riir_reparse_requested", "dag_id": DAG_ID}
            missing = await client.put("/api/v2/parseDagFile/not-a-token")
            assert missing.status_code == 404 and missing.json() == {"detail": "File not found"}
    finally:
        await conn.close()


async def test_bulk_task_instances_delete(broker: Broker, db: asyncpg.Pool) -> None:
    await _run(db, "bulk_ti")
    url = f"/api/v2/dags/{DAG_ID}/dagRuns/bulk_ti/taskInstances"
    with broker.client() as client:
        body = {"actions": [{"action": "delete", "entities": ["load", {"task_id": "extract", "map_index": 5}]}]}
        done = client.patch(url, json=body).json()["delete"]
        assert done["success"] == [f"{DAG_ID}.bulk_ti.load[-1]"]
        assert done["errors"][0]["status_code"] == 404 and "were not found" in done["errors"][0]["error"]
        assert client.get(f"{url}/load").status_code == 404
        assert client.get(f"{url}/extract").status_code == 200
