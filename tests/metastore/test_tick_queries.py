"""The statements of a scheduled tick (app_queries): where the timetable stands, a run created running with its task
instances and the dag row's next run, fenced; the loop turn's read with each new run's previous success; a run's end
that completes its backfill; the pause flags."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from riir_airflow.exceptions import DagRunAlreadyExists
from riir_airflow.metastore import app_queries as aq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import NewTaskInstance
from tests.metastore.conftest import make_run

pytestmark = pytest.mark.postgres

UTC = dt.UTC


def day(n: int) -> dt.datetime:
    return dt.datetime(2024, 1, n, tzinfo=UTC)


async def lease(db: asyncpg.Pool, dag_id: str = "example") -> int:
    async with db.acquire() as conn:
        return await aq.take_lease(conn, dag_id, "app-1")


async def create(db: asyncpg.Pool, token: int, n: int, **kwargs: object) -> object:
    fields: dict[str, object] = {
        "run_type": "scheduled", "tasks": [NewTaskInstance(task_id="a"), NewTaskInstance(task_id="b")],
        "state": "running", "dag_version_id": None, "triggered_by": "timetable", "logical_date": day(n),
        "data_interval": (day(n), day(n + 1)), "run_after": day(n + 1),
    }  # fmt: skip
    fields.update(kwargs)
    return await aq.create_run_fenced(db, "example", token, f"scheduled__{n}", **fields)  # type: ignore[arg-type]


async def test_timetable_position(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "example", fileloc="/dags/example.py", owners="airflow")
    empty = await aq.timetable_position(db, "example")
    assert (empty.latest, empty.active, empty.queued) == (None, 0, 0)
    token = await lease(db)
    await create(db, token, 1, state="success")
    await create(db, token, 2)
    await make_run(db, run_id="manual__1", tasks=())  # queued, not an automated run
    backfill = await db.fetchval(
        "INSERT INTO backfill (dag_id, from_date, to_date) VALUES ('example', $1, $1) RETURNING id", day(9)
    )
    await q.create_dag_run(db, "example", "backfill__9", run_type="backfill", logical_date=day(9), run_after=day(1),
                           backfill_id=backfill)  # fmt: skip
    position = await aq.timetable_position(db, "example")
    assert position.latest is not None and position.latest.run_id == "scheduled__2"  # the latest run_after
    assert position.active == 3  # scheduled__2 running, manual__1 and backfill__9 queued
    assert position.queued == 1  # a backfill's queued runs start in their own order


async def test_a_run_created_running_with_its_tasks_and_the_next_run_fenced(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "example", fileloc="/dags/example.py", owners="airflow")
    token = await lease(db)
    run = await create(db, token, 1, next_dagrun=(day(2), day(2), day(3), day(3)))
    assert run.state == "running" and run.start_date is not None and run.triggered_by == "timetable"  # type: ignore[attr-defined]
    tis = await db.fetch("SELECT task_id, state, try_number FROM task_instance WHERE run_id = 'scheduled__1'")
    assert sorted((r["task_id"], r["state"], r["try_number"]) for r in tis) == [("a", None, 0), ("b", None, 0)]
    dag = await q.get_dag(db, "example")
    assert dag is not None and (dag.next_dagrun, dag.next_dagrun_create_after) == (day(2), day(3))

    await create(db, token, 2, state="queued")  # without next_dagrun: the dag row is left as it is
    dag = await q.get_dag(db, "example")
    assert dag is not None and dag.next_dagrun == day(2)
    assert await db.fetchval("SELECT start_date FROM dag_run WHERE run_id = 'scheduled__2'") is None

    with pytest.raises(DagRunAlreadyExists):
        await create(db, token, 1)
    await lease(db)  # another app takes the DAG over: the old token writes nothing
    with pytest.raises(aq.Fenced):
        await create(db, token, 3)
    assert await db.fetchval("SELECT count(*) FROM dag_run WHERE run_id = 'scheduled__3'") == 0


async def test_the_turns_read_brings_each_new_runs_previous_success(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "example", fileloc="/dags/example.py", owners="airflow")
    token = await lease(db)
    await create(db, token, 1, state="success")
    await create(db, token, 2, state="failed")
    await create(db, token, 3)
    [active] = await aq.active_runs_with_states(db, "example")
    assert active.run.run_id == "scheduled__3" and active.previous_read
    assert active.previous is not None and active.previous["data_interval_start"] == day(1)
    assert active.states is not None and sorted(s.task_id for s in active.states.rows) == ["a", "b"]
    [known] = await aq.active_runs_with_states(db, "example", previous_known=["scheduled__3"])
    assert not known.previous_read and known.previous is None


async def test_a_runs_end_completes_its_backfill_with_its_last_run(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "example", fileloc="/dags/example.py", owners="airflow")
    token = await lease(db)
    backfill = await db.fetchval(
        "INSERT INTO backfill (dag_id, from_date, to_date) VALUES ('example', $1, $2) RETURNING id", day(1), day(2)
    )
    for n in (1, 2):
        await q.create_dag_run(db, "example", f"backfill__{n}", run_type="backfill", logical_date=day(n),
                               state="running", backfill_id=backfill)  # fmt: skip
    first = await aq.finish_run_fenced(db, "example", token, "backfill__1", "success")
    assert first is not None and first.state == "success" and first.end_date is not None
    assert await db.fetchval("SELECT completed_at FROM backfill WHERE id = $1", backfill) is None
    assert await aq.finish_run_fenced(db, "example", token, "backfill__1", "failed") is None  # not running any more
    await aq.finish_run_fenced(db, "example", token, "backfill__2", "failed")
    assert await db.fetchval("SELECT completed_at FROM backfill WHERE id = $1", backfill) is not None
    await q.create_dag_run(db, "example", "manual__1", run_type="manual", state="running")
    await lease(db)  # another app takes the DAG over: the old token ends nothing
    with pytest.raises(aq.Fenced):
        await aq.finish_run_fenced(db, "example", token, "manual__1", "success")
    assert await db.fetchval("SELECT state FROM dag_run WHERE run_id = 'manual__1'") == "running"


async def test_pause_flags_in_one_read(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "example", fileloc="/dags/example.py", owners="airflow")
    await q.upsert_dag(db, "other", fileloc="/dags/other.py", owners="airflow")
    await q.set_dag_paused(db, "example", False)
    await q.set_dag_paused(db, "other", True)
    assert await aq.paused_flags(db, ["example", "other", "gone"]) == {"example": False, "other": True, "gone": True}


async def test_the_pids_of_a_dispatch_in_one_statement(db: asyncpg.Pool) -> None:
    await make_run(db)
    await db.execute("UPDATE task_instance SET state = 'running', try_number = 1 WHERE task_id IN ('a', 'b')")
    ids = dict(await db.fetch("SELECT task_id, id FROM task_instance WHERE run_id = 'manual__1'"))
    # a: its running try; b: an older try than the one running; c: not running (its try already ended)
    await aq.set_task_pids(db, [(ids["a"], 1, 101), (ids["b"], 0, 102), (ids["c"], 1, 103)])
    pids = dict(await db.fetch("SELECT task_id, pid FROM task_instance WHERE run_id = 'manual__1'"))
    assert pids == {"a": 101, "b": None, "c": None}
