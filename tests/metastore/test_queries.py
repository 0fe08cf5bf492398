"""Every query function against a real PostgreSQL database."""

from __future__ import annotations

import datetime
import uuid

import asyncpg
import pytest

from riir_airflow.exceptions import AirflowBadRequest, DagNotFound, DagRunAlreadyExists
from riir_airflow.metastore import app_queries
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import NewTaskInstance, StateChange, TaskInstanceKey
from tests.metastore.conftest import make_run

pytestmark = pytest.mark.postgres

UTC = datetime.UTC
KEY_A = TaskInstanceKey("example", "manual__1", "a")


async def test_upsert_dag_keeps_pause_state_and_unstales(db: asyncpg.Pool) -> None:
    created = await q.upsert_dag(db, "d1", fileloc="/dags/d1.py", owners="me", tags=["x", "y"])
    assert created.is_paused and not created.is_stale and created.tags == ["x", "y"]
    await q.set_dag_paused(db, "d1", False)
    assert await q.mark_dags_stale(db, ["d1"]) == 1
    assert (await q.get_dag(db, "d1")).is_stale  # type: ignore[union-attr]
    again = await q.upsert_dag(db, "d1", fileloc="/dags/d1.py", owners="you", is_paused_upon_creation=True)
    assert again.is_paused is False and again.owners == "you" and again.is_stale is False
    assert await q.get_dag(db, "missing") is None
    with pytest.raises(DagNotFound):
        await q.set_dag_paused(db, "missing", True)


async def test_set_next_dagrun(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "d1")
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    end = start + datetime.timedelta(days=1)
    await q.set_next_dagrun(db, "d1", next_dagrun=start, data_interval_start=start, data_interval_end=end,
                            create_after=end)  # fmt: skip
    dag = await q.get_dag(db, "d1")
    assert dag is not None and dag.next_dagrun == start and dag.next_dagrun_create_after == end


async def test_list_dags_filters_and_pages(db: asyncpg.Pool) -> None:
    for i in range(5):
        await q.upsert_dag(db, f"dag_{i}", tags=["even" if i % 2 == 0 else "odd"], owners="team")
    await q.set_dag_paused(db, "dag_1", False)
    await q.mark_dags_stale(db, ["dag_4"])
    page = await q.list_dags(db, limit=2, offset=1)
    assert [d.dag_id for d in page.items] == ["dag_1", "dag_2"] and page.total_entries == 4
    assert [d.dag_id for d in (await q.list_dags(db, tags=["even"])).items] == ["dag_0", "dag_2"]
    assert [d.dag_id for d in (await q.list_dags(db, paused=False)).items] == ["dag_1"]
    assert (await q.list_dags(db, exclude_stale=False)).total_entries == 5
    assert [d.dag_id for d in (await q.list_dags(db, dag_id_pattern="_3")).items] == ["dag_3"]
    assert [d.dag_id for d in (await q.list_dags(db, order_by="-dag_id", limit=1)).items] == ["dag_3"]
    with pytest.raises(AirflowBadRequest):
        await q.list_dags(db, order_by="password")


async def test_dag_versions_dedupe_by_hash(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "d1")
    v1 = await q.add_dag_version(db, "d1", {"tasks": ["a"]}, "hash1")
    same = await q.add_dag_version(db, "d1", {"tasks": ["a"]}, "hash1")
    v2 = await q.add_dag_version(db, "d1", {"tasks": ["a", "b"]}, "hash2")
    assert (v1.version_number, same.id, v2.version_number) == (1, v1.id, 2)
    assert v2.data == {"tasks": ["a", "b"]}
    assert (await q.get_dag_version(db, "d1")) == v2
    assert (await q.get_dag_version(db, "d1", 1)) == v1
    assert [v.version_number for v in (await q.list_dag_versions(db, "d1")).items] == [1, 2]
    with pytest.raises(DagNotFound):
        await q.add_dag_version(db, "nope", {}, "h")


async def test_create_dag_run_with_tasks_and_conflicts(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "d1")
    version = await q.add_dag_version(db, "d1", {}, "h")
    logical = datetime.datetime(2026, 3, 1, tzinfo=UTC)
    run = await q.create_dag_run(
        db, "d1", "scheduled__2026-03-01", run_type="scheduled", logical_date=logical,
        data_interval=(logical, logical + datetime.timedelta(days=1)), conf={"x": 1}, dag_version_id=version.id,
        tasks=[NewTaskInstance("a", priority_weight=3), NewTaskInstance("m", map_index=0),
               NewTaskInstance("m", map_index=1)],
    )  # fmt: skip
    assert run.state == "queued" and run.conf == {"x": 1} and run.queued_at is not None and run.start_date is None
    tis = await q.list_task_instances(db, dag_id="d1", run_id=run.run_id, order_by=["task_id", "map_index"])
    assert [(t.task_id, t.map_index, t.state, t.try_number) for t in tis.items] == [
        ("a", -1, None, 0), ("m", 0, None, 0), ("m", 1, None, 0)
    ]  # fmt: skip
    assert all(t.dag_version_id == version.id for t in tis.items)
    with pytest.raises(DagRunAlreadyExists):
        await q.create_dag_run(db, "d1", "scheduled__2026-03-01", run_type="scheduled")
    with pytest.raises(DagRunAlreadyExists):  # same logical date, other run_id
        await q.create_dag_run(db, "d1", "other", run_type="manual", logical_date=logical)
    with pytest.raises(DagNotFound):
        await q.create_dag_run(db, "nope", "r", run_type="manual")
    with pytest.raises(asyncpg.CheckViolationError):
        await q.create_dag_run(db, "d1", "r2", run_type="weird")
    # Nothing of the failed attempts was left behind.
    assert (await q.list_dag_runs(db, dag_id="d1")).total_entries == 1


async def test_add_task_instances_for_mapping(db: asyncpg.Pool) -> None:
    await make_run(db, tasks=("m",))
    await q.add_task_instances(db, "example", "manual__1", [NewTaskInstance("m", map_index=i) for i in range(3)])
    page = await q.list_task_instances(db, task_id="m", map_index=2)
    assert page.total_entries == 1 and page.items[0].map_index == 2
    with pytest.raises(asyncpg.UniqueViolationError):
        await q.add_task_instances(db, "example", "manual__1", [NewTaskInstance("m", map_index=0)])


async def test_dag_run_state_compare_and_set(db: asyncpg.Pool) -> None:
    await make_run(db)
    running = await q.set_dag_run_state(db, "example", "manual__1", "running", expected=["queued"])
    assert running is not None and running.start_date is not None and running.end_date is None
    assert await q.set_dag_run_state(db, "example", "manual__1", "running", expected=["queued"]) is None
    done = await q.set_dag_run_state(db, "example", "manual__1", "success", expected=["running"])
    assert done is not None and done.end_date is not None and done.start_date == running.start_date
    assert (await q.get_dag_run(db, "example", "manual__1")) == done
    assert await q.get_dag_run(db, "example", "nope") is None


async def test_list_dag_runs_filters(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "d1")
    base = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(4):
        await q.create_dag_run(db, "d1", f"r{i}", run_type="scheduled" if i % 2 else "manual",
                               logical_date=base + datetime.timedelta(days=i))  # fmt: skip
    await q.set_dag_run_state(db, "d1", "r1", "failed")
    assert [r.run_id for r in (await q.list_dag_runs(db, dag_id="d1", states=["failed"])).items] == ["r1"]
    assert [r.run_id for r in (await q.list_dag_runs(db, run_types=["manual"])).items] == ["r0", "r2"]
    window = await q.list_dag_runs(db, logical_date_gte=base + datetime.timedelta(days=1),
                                   logical_date_lte=base + datetime.timedelta(days=2))  # fmt: skip
    assert [r.run_id for r in window.items] == ["r1", "r2"]
    page = await q.list_dag_runs(db, order_by="-logical_date", limit=2, offset=1)
    assert [r.run_id for r in page.items] == ["r2", "r1"] and page.total_entries == 4


async def test_set_task_states_compare_and_set_and_try_numbers(db: asyncpg.Pool) -> None:
    await make_run(db)
    changed = await q.set_task_states(db, "example", "manual__1", [
        StateChange("a", "scheduled", (None,)),
        StateChange("b", "scheduled", ("running",)),  # b has no state: not applied
        StateChange("c", "skipped", (None, "scheduled")),
    ])  # fmt: skip
    assert {k.task_id for k in changed} == {"a", "c"}
    a = await q.get_task_instance(db, KEY_A)
    assert a is not None and a.state == "scheduled" and a.try_number == 1 and a.scheduled_dttm is not None
    c = await q.get_task_instance(db, TaskInstanceKey("example", "manual__1", "c"))
    assert c is not None and c.state == "skipped" and c.end_date is not None and c.try_number == 0
    # A second writer that still expects "no state" loses.
    assert not await q.set_task_state(db, KEY_A, "scheduled", expected=[None])
    # Rescheduled and deferred tasks keep their try number when scheduled again.
    assert await q.set_task_state(db, KEY_A, "up_for_reschedule", expected=["scheduled"])
    assert await q.set_task_state(db, KEY_A, "scheduled", expected=["up_for_reschedule"])
    assert (await q.get_task_instance(db, KEY_A)).try_number == 1  # type: ignore[union-attr]
    assert await q.set_task_state(db, KEY_A, "up_for_retry", expected=["scheduled"])
    assert await q.set_task_state(db, KEY_A, "scheduled", expected=["up_for_retry"])
    assert (await q.get_task_instance(db, KEY_A)).try_number == 2  # type: ignore[union-attr]
    assert await q.set_task_states(db, "example", "manual__1", []) == []


async def test_claim_start_and_record_result(db: asyncpg.Pool) -> None:
    await make_run(db)
    await q.set_task_states(db, "example", "manual__1", [StateChange(t, "scheduled", (None,)) for t in "abc"])
    await q.set_xcom(db, KEY_A, "stale", 1)  # from an earlier try: cleared when the new try starts
    claimed = await q.claim_ready_tries(db, app_id="app1", hostname="h1", limit=2, dag_ids=["example"])
    assert len(claimed) == 2 and all(t.state == "queued" and t.app_id == "app1" for t in claimed)
    assert await q.claim_ready_tries(db, app_id="app1", hostname="h1", limit=5, dag_ids=["other"]) == []
    rest = await q.claim_ready_tries(db, app_id="app2", hostname="h2", limit=5)
    assert len(rest) == 1 and {t.task_id for t in claimed + rest} == {"a", "b", "c"}
    assert await q.claim_ready_tries(db, app_id="app2", hostname="h2", limit=5) == []
    assert await q.claim_ready_tries(db, app_id="app2", hostname="h2", limit=0) == []

    a = await q.get_task_instance(db, KEY_A)
    assert a is not None
    assert await q.start_try(db, a.id, a.try_number + 1, pid=1, hostname="h") is None  # wrong try
    started = await q.start_try(db, a.id, a.try_number, pid=4242, hostname="worker")
    assert started is not None and started.state == "running" and started.pid == 4242 and started.start_date
    assert await q.get_xcom(db, KEY_A, "stale") is None
    assert await q.heartbeat_task(db, a.id, a.try_number)
    assert not await q.heartbeat_task(db, a.id, a.try_number + 1)

    done = await q.record_task_result(db, a.id, a.try_number, "success", xcoms={"return_value": {"n": [1, 2]}},
                                      rendered_fields={"bash_command": "echo 1"})  # fmt: skip
    assert done is not None and done.state == "success" and done.duration is not None and done.duration >= 0
    assert done.rendered_fields == {"bash_command": "echo 1"}
    xcom = await q.get_xcom(db, KEY_A)
    assert xcom is not None and xcom.value == {"n": [1, 2]}
    # Recording twice (a stale process) changes nothing.
    assert await q.record_task_result(db, a.id, a.try_number, "failed", xcoms={"return_value": 0}) is None
    assert (await q.get_xcom(db, KEY_A)).value == {"n": [1, 2]}  # type: ignore[union-attr]
    assert not await q.heartbeat_task(db, a.id, a.try_number)
    tries = await q.list_task_instance_tries(db, KEY_A)
    assert [(t.try_number, t.state, t.pid) for t in tries] == [(1, "success", 4242)]


async def test_claim_order_is_priority_first(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "p")
    await q.create_dag_run(
        db,
        "p",
        "r",
        run_type="manual",
        tasks=[NewTaskInstance(t, priority_weight=w) for t, w in (("lo", 1), ("hi", 9), ("mid", 5))],
    )
    await q.set_task_states(db, "p", "r", [StateChange(t, "scheduled", (None,)) for t in ("lo", "hi", "mid")])
    first = await q.claim_ready_tries(db, app_id="a", hostname="h", limit=2)
    assert [t.task_id for t in first] == ["hi", "mid"]


async def test_retry_keeps_every_try_in_history(db: asyncpg.Pool) -> None:
    await make_run(db, tasks=("a",))
    for attempt, outcome in ((1, "up_for_retry"), (2, "failed")):
        assert await q.set_task_state(db, KEY_A, "scheduled", expected=[None, "up_for_retry"])
        (ti,) = await q.claim_ready_tries(db, app_id="x", hostname="h", limit=1)
        assert ti.try_number == attempt
        await q.start_try(db, ti.id, ti.try_number, pid=attempt, hostname="h")
        await q.record_task_result(db, ti.id, ti.try_number, outcome)
    tries = await q.list_task_instance_tries(db, KEY_A)
    assert [(t.try_number, t.state) for t in tries] == [(1, "up_for_retry"), (2, "failed")]


async def test_deferral_keeps_try_and_xcoms(db: asyncpg.Pool) -> None:
    await make_run(db, tasks=("a",))
    await q.set_task_state(db, KEY_A, "scheduled", expected=[None])
    (ti,) = await q.claim_ready_tries(db, app_id="x", hostname="h", limit=1)
    await q.start_try(db, ti.id, 1, pid=1, hostname="h")
    await q.set_xcom(db, KEY_A, "progress", 50)
    deferred = await q.record_task_result(db, ti.id, 1, "deferred", next_method="resume", next_kwargs={"k": 1})
    assert deferred is not None and deferred.end_date is None and deferred.next_kwargs == {"k": 1}
    assert await q.list_task_instance_tries(db, KEY_A) == []  # the try has not ended
    await q.set_task_state(db, KEY_A, "scheduled", expected=["deferred"])
    (again,) = await q.claim_ready_tries(db, app_id="x", hostname="h", limit=1)
    assert again.try_number == 1
    await q.start_try(db, again.id, 1, pid=2, hostname="h")
    assert (await q.get_xcom(db, KEY_A, "progress")).value == 50  # type: ignore[union-attr]


async def test_the_app_heartbeat_is_one_statement_that_also_lists_stale_tries(db: asyncpg.Pool) -> None:
    await q.register_app(db, "app-1", name="etl", dag_ids=[KEY_A.dag_id], code_hash="abc", hostname="h", pid=9)
    await make_run(db, tasks=("a",))
    await q.set_task_state(db, KEY_A, "scheduled", expected=[None])
    (ti,) = await q.claim_ready_tries(db, app_id="app-1", hostname="h", limit=1)
    await q.start_try(db, ti.id, 1, pid=1, hostname="h")
    async with db.acquire() as c:
        await c.execute("UPDATE task_instance SET last_heartbeat_at = now() - interval '2 hours'")
        await c.execute("UPDATE app SET last_heartbeat = now() - interval '2 hours'")

    async def beat_age(table: str, column: str) -> datetime.timedelta:
        async with db.acquire() as c:
            return await c.fetchval(f"SELECT now() - {column} FROM {table}")  # type: ignore[no-any-return]

    hour = datetime.timedelta(hours=1)
    async with db.acquire() as c:
        # The app alone (an idle app's beat between two detections): its stamp, nothing listed.
        assert await app_queries.heartbeat(c, "app-1", []) == []
        assert await beat_age("app", "last_heartbeat") < hour
        assert await beat_age("task_instance", "last_heartbeat_at") > hour
        # With the detection: the running tries of the app's DAGs whose heartbeat is older than the timeout.
        assert [t.task_id for t in await app_queries.heartbeat(c, "app-1", [], hour, [KEY_A.dag_id])] == ["a"]
        assert await app_queries.heartbeat(c, "app-1", [], hour, ["another_dag"]) == []
        # The tries' stamp in the same statement (the listing sees the rows as they were before it).
        assert [t.task_id for t in await app_queries.heartbeat(c, "app-1", [ti.id], hour, [KEY_A.dag_id])] == ["a"]
        assert await beat_age("task_instance", "last_heartbeat_at") < hour
        assert await app_queries.heartbeat(c, "app-1", [ti.id], hour, [KEY_A.dag_id]) == []


async def test_list_task_instances_filters(db: asyncpg.Pool) -> None:
    await make_run(db)
    await q.set_task_states(db, "example", "manual__1", [StateChange("a", "scheduled", (None,))])
    assert [t.task_id for t in (await q.list_task_instances(db, states=["scheduled"])).items] == ["a"]
    assert [t.task_id for t in (await q.list_task_instances(db, states=[None])).items] == ["b", "c"]
    page = await q.list_task_instances(db, dag_id="example", order_by="-task_id", limit=1, offset=1)
    assert [t.task_id for t in page.items] == ["b"] and page.total_entries == 3
    assert (await q.list_task_instances(db, pools=["other"])).total_entries == 0


async def test_xcom_push_get_list(db: asyncpg.Pool) -> None:
    await make_run(db)
    await q.set_xcom(db, KEY_A, "k", [1, "two", None])
    await q.set_xcom(db, KEY_A, "k", {"replaced": True})
    await q.set_xcom(db, TaskInstanceKey("example", "manual__1", "b", 3), "return_value", 7)
    assert (await q.get_xcom(db, KEY_A, "k")).value == {"replaced": True}  # type: ignore[union-attr]
    assert await q.get_xcom(db, KEY_A) is None
    page = await q.list_xcoms(db, dag_id="example", run_id="manual__1")
    assert [(x.task_id, x.key) for x in page.items] == [("a", "k"), ("b", "return_value")]
    assert (await q.list_xcoms(db, map_indexes=[3])).items[0].value == 7
    assert (await q.list_xcoms(db, xcom_key="nope")).total_entries == 0


async def test_task_logs_append_and_follow(db: asyncpg.Pool) -> None:
    await make_run(db)
    assert await q.append_task_log(db, KEY_A, 1, []) == 0
    first = await q.append_task_log(db, KEY_A, 1, ["one", "two"])
    lines = await q.read_task_log(db, KEY_A, 1)
    assert [line.line for line in lines] == ["one", "two"] and lines[-1].id == first
    await q.append_task_log(db, KEY_A, 1, ["three"], stream="stderr")
    await q.append_task_log(db, KEY_A, 2, ["other try"])
    newer = await q.read_task_log(db, KEY_A, 1, after_id=first)
    assert [(line.line, line.stream) for line in newer] == [("three", "stderr")]
    assert [line.line for line in await q.read_task_log(db, KEY_A, 1, limit=1)] == ["one"]


async def test_apps_register_heartbeat_state(db: asyncpg.Pool) -> None:
    app = await q.register_app(db, "app-1", name="etl", dag_ids=["a", "b"], code_hash="abc", hostname="h", pid=9)
    assert app.state == "running" and app.dag_ids == ["a", "b"]
    assert await q.heartbeat_app(db, "app-1") and not await q.heartbeat_app(db, "ghost")
    assert (await q.set_app_state(db, "app-1", "draining")).state == "draining"  # type: ignore[union-attr]
    assert [a.id for a in await q.list_apps(db, alive_within=datetime.timedelta(minutes=1))] == ["app-1"]
    await q.set_app_state(db, "app-1", "stopped")
    assert not await q.heartbeat_app(db, "app-1")
    assert await q.list_apps(db, alive_within=datetime.timedelta(minutes=1)) == []
    again = await q.register_app(db, "app-1", name="etl", dag_ids=["a"], code_hash="def", hostname="h")
    assert again.state == "running" and again.code_hash == "def"
    assert len(await q.list_apps(db)) == 1
    assert await q.set_app_state(db, "ghost", "stopped") is None


async def test_pools_and_usage(db: asyncpg.Pool) -> None:
    await q.upsert_pool(db, "small", 2, description="two slots")
    await make_run(db, tasks=("a", "b"))
    async with db.acquire() as c:
        await c.execute("UPDATE task_instance SET pool = 'small', state = 'running' WHERE task_id = 'a'")
        await c.execute("UPDATE task_instance SET pool = 'small', state = 'queued', pool_slots = 3 WHERE task_id='b'")
    usage = {p.pool: p for p in (await q.list_pool_usage(db)).items}
    assert usage["default_pool"].slots == 128 and usage["default_pool"].occupied_slots == 0
    small = usage["small"]
    assert (small.running_slots, small.queued_slots, small.occupied_slots, small.open_slots) == (1, 3, 4, -2)
    assert await q.delete_pool(db, "small") and not await q.delete_pool(db, "small")
    with pytest.raises(AirflowBadRequest):
        await q.delete_pool(db, "default_pool")


async def test_assets_and_events(db: asyncpg.Pool) -> None:
    asset = await q.upsert_asset(db, "orders", "s3://bucket/orders", extra={"owner": "x"})
    same = await q.upsert_asset(db, "orders", "s3://bucket/orders", group="data")
    assert same.id == asset.id and same.group == "data"
    await make_run(db)
    event = await q.record_asset_event(db, asset.id, extra={"rows": 10}, source=KEY_A)
    await q.record_asset_event(db, asset.id)
    assert event.extra == {"rows": 10} and event.source_task_id == "a"
    page = await q.list_asset_events(db, asset_id=asset.id)
    assert page.total_entries == 2 and page.items[0].id == event.id
    assert [e.id for e in (await q.list_asset_events(db, source_dag_id="example")).items] == [event.id]


async def test_backfills(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "d1")
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    backfill = await q.create_backfill(db, "d1", from_date=start, to_date=start + datetime.timedelta(days=3),
                                       dag_run_conf={"a": 1}, reprocess_behavior="failed")  # fmt: skip
    assert backfill.dag_run_conf == {"a": 1} and backfill.completed_at is None
    paused = await q.update_backfill(db, backfill.id, is_paused=True)
    assert paused is not None and paused.is_paused
    await q.create_dag_run(db, "d1", "backfill__1", run_type="backfill", backfill_id=backfill.id)
    assert (await q.list_dag_runs(db, backfill_id=backfill.id)).total_entries == 1
    assert (await q.list_backfills(db, dag_id="d1", active_only=True)).total_entries == 1
    done = await q.update_backfill(db, backfill.id, completed=True)
    assert done is not None and done.completed_at is not None and done.is_paused
    assert (await q.list_backfills(db, active_only=True)).total_entries == 0
    assert await q.update_backfill(db, 999) is None


async def test_a_backfill_completes_when_its_last_run_finishes(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "d1")
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    backfill = await q.create_backfill(db, "d1", from_date=start, to_date=start + datetime.timedelta(days=1))
    for run_id in ("backfill__1", "backfill__2"):
        await q.create_dag_run(db, "d1", run_id, run_type="backfill", backfill_id=backfill.id)
        await q.set_dag_run_state(db, "d1", run_id, "running", expected=["queued"])
    await q.create_dag_run(db, "d1", "manual__1", run_type="manual")  # not the backfill's: never waited for

    async def completed_at() -> datetime.datetime | None:
        (item,) = (await q.list_backfills(db, dag_id="d1")).items
        return item.completed_at

    await q.set_dag_run_state(db, "d1", "backfill__1", "failed", expected=["running"])
    assert await completed_at() is None  # backfill__2 still runs
    await q.set_dag_run_state(db, "d1", "backfill__2", "success", expected=["running"])
    done = await completed_at()
    assert done is not None
    assert (await q.list_backfills(db, active_only=True)).total_entries == 0
    # Clearing and rerunning a run of a completed backfill leaves its completion time as it was.
    await q.set_dag_run_state(db, "d1", "backfill__2", "queued")
    await q.set_dag_run_state(db, "d1", "backfill__2", "success")
    assert await completed_at() == done


async def test_events(db: asyncpg.Pool) -> None:
    await q.record_event(db, "trigger", dag_id="d1", run_id="r", owner="admin", extra={"conf": {}})
    await q.record_event(db, "pause", dag_id="d2")
    page = await q.list_events(db, events=["trigger"])
    assert [e.dag_id for e in page.items] == ["d1"] and page.items[0].extra == {"conf": {}}
    assert (await q.list_events(db, order_by="-id", limit=1)).items[0].event == "pause"
    assert (await q.list_events(db, dag_id="d2", owner="nobody")).total_entries == 0


async def test_operations_compose_into_one_transaction(db: asyncpg.Pool, conn: asyncpg.Connection) -> None:
    await make_run(db)
    with pytest.raises(RuntimeError):
        async with conn.transaction():
            await q.set_task_state(conn, KEY_A, "scheduled", expected=[None])
            await q.set_xcom(conn, KEY_A, "k", 1)
            raise RuntimeError("abort the outer transaction")
    assert (await q.get_task_instance(db, KEY_A)).state is None  # type: ignore[union-attr]
    assert await q.get_xcom(db, KEY_A, "k") is None


async def test_negative_paging_is_refused(db: asyncpg.Pool) -> None:
    with pytest.raises(AirflowBadRequest):
        await q.list_events(db, limit=-1)


async def test_unknown_ids_are_none(db: asyncpg.Pool) -> None:
    assert await q.start_try(db, uuid.uuid4(), 1, pid=1, hostname="h") is None
    assert await q.record_task_result(db, uuid.uuid4(), 1, "success") is None
    assert await q.get_task_instance(db, KEY_A) is None


async def test_claim_honours_pools(db: asyncpg.Pool) -> None:
    await q.upsert_pool(db, "small", 2)
    await q.upsert_pool(db, "unlimited", -1)
    await q.upsert_pool(db, "deferrable", 1, include_deferred=True)
    await q.upsert_dag(db, "p")
    tasks = [
        NewTaskInstance("big", pool="small", pool_slots=3, priority_weight=10),  # never fits in 2 slots
        *(NewTaskInstance(f"s{i}", pool="small", priority_weight=5 - i) for i in range(4)),
        *(NewTaskInstance(f"u{i}", pool="unlimited") for i in range(3)),
        NewTaskInstance("ghost", pool="no_such_pool", priority_weight=20),
        NewTaskInstance("d_running", pool="deferrable", state="deferred"),
        NewTaskInstance("d_waiting", pool="deferrable"),
    ]
    await q.create_dag_run(db, "p", "r", run_type="manual", tasks=tasks)
    await q.set_task_states(db, "p", "r", [StateChange(t.task_id, "scheduled", (None,)) for t in tasks if not t.state])
    claimed = await q.claim_ready_tries(db, app_id="a", hostname="h", limit=20)
    assert sorted(t.task_id for t in claimed) == ["s0", "s1", "u0", "u1", "u2"]
    left = await q.list_task_instances(db, states=["scheduled"], order_by="task_id")
    assert [t.task_id for t in left.items] == ["big", "d_waiting", "ghost", "s2", "s3"]
    # A finished try frees its slot; a deferred one holds it only when the pool includes deferred tasks.
    s0 = next(t for t in claimed if t.task_id == "s0")
    await q.start_try(db, s0.id, s0.try_number, pid=1, hostname="h")
    await q.record_task_result(db, s0.id, s0.try_number, "success")
    assert [t.task_id for t in await q.claim_ready_tries(db, app_id="a", hostname="h", limit=20)] == ["s2"]
    await q.upsert_pool(db, "deferrable", 1, include_deferred=False)
    assert [t.task_id for t in await q.claim_ready_tries(db, app_id="a", hostname="h", limit=20)] == ["d_waiting"]


async def test_clear_task_instances_like_airflow(db: asyncpg.Pool) -> None:
    await make_run(db)
    await q.set_task_states(db, "example", "manual__1", [StateChange(t, "scheduled", (None,)) for t in "abc"])
    tries = {t.task_id: t for t in await q.claim_ready_tries(db, app_id="x", hostname="h", limit=3)}
    for name, outcome in (("a", "success"), ("b", "failed")):
        await q.start_try(db, tries[name].id, 1, pid=1, hostname="h")
        await q.record_task_result(db, tries[name].id, 1, outcome)
    await q.start_try(db, tries["c"].id, 1, pid=1, hostname="h")  # still running
    await q.set_dag_run_state(db, "example", "manual__1", "failed")

    assert [k.task_id for k in await q.clear_task_instances(db, "example", "manual__1", only_failed=True)] == ["b"]
    b = await q.get_task_instance(db, TaskInstanceKey("example", "manual__1", "b"))
    assert b is not None and b.state is None and b.try_number == 1 and b.max_tries == 1
    run = await q.get_dag_run(db, "example", "manual__1")
    assert run is not None and run.state == "queued" and run.end_date is None

    cleared = await q.clear_task_instances(db, "example", "manual__1", task_ids=["a", "c"], retries_by_task={"a": 2})
    assert sorted(k.task_id for k in cleared) == ["a", "c"]
    a = await q.get_task_instance(db, KEY_A)
    c = await q.get_task_instance(db, TaskInstanceKey("example", "manual__1", "c"))
    assert a is not None and (a.state, a.max_tries) == (None, 3)
    assert c is not None and c.state == "restarting"
    # Scheduling the cleared task again starts try 2; the finished first try stays in the history.
    assert await q.set_task_state(db, KEY_A, "scheduled", expected=[None])
    assert (await q.get_task_instance(db, KEY_A)).try_number == 2  # type: ignore[union-attr]
    assert [t.try_number for t in await q.list_task_instance_tries(db, KEY_A)] == [1]
    assert await q.clear_task_instances(db, "example", "nope") == []
