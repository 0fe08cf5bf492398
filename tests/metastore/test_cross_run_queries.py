"""What the engine reads across runs in the metastore: the previous run for depends_on_past (manual runs left out
with catchup, the first run of a backfill), the previous successful run, and XComs of earlier runs."""

from __future__ import annotations

import datetime

import asyncpg
import pytest

from riir_airflow.engine.metastore_store import MetastoreStore
from riir_airflow.metastore import cross_run_queries as xq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import NewTaskInstance, StateChange

pytestmark = pytest.mark.postgres
UTC = datetime.UTC


def day(n: int) -> datetime.datetime:
    return datetime.datetime(2026, 1, n, tzinfo=UTC)


async def _run(db: asyncpg.Pool, run_id: str, n: int, run_type: str, state: str, **extra: object) -> None:
    await q.create_dag_run(
        db, "d", run_id, run_type=run_type, logical_date=day(n), state="running",
        tasks=[NewTaskInstance("a"), NewTaskInstance("b")], **extra,  # type: ignore[arg-type]
    )  # fmt: skip
    await q.set_task_states(db, "d", run_id, [StateChange("a", state, (None,)), StateChange("b", "success", (None,))])


async def test_previous_run_skips_manual_runs_with_catchup_and_knows_backfills(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "d")
    store = MetastoreStore(db, "d", fencing_token=0)
    await _run(db, "s1", 1, "scheduled", "failed")
    await _run(db, "m2", 2, "manual", "success")
    await _run(db, "s3", 3, "scheduled", "success")
    # Without catchup the previous run is the latest before, whatever its type; with catchup, not a manual one.
    plain = await store.past_run("s3", ["a", "b"], skip_manual=False)
    assert plain.exists and plain.logical_date == day(2) and plain.states == {"a": ("success",), "b": ("success",)}
    caught_up = await store.past_run("s3", ["a"], skip_manual=True)
    assert caught_up.logical_date == day(1) and caught_up.states == {"a": ("failed",)}
    assert caught_up.tasks_run_before == frozenset({"a"})
    assert not (await store.past_run("s1", ["a"], skip_manual=False)).exists  # the first run
    # A backfill's first run does not depend on the past; its second one does.
    backfill = await q.create_backfill(db, "d", from_date=day(4), to_date=day(5))
    await _run(db, "b4", 4, "backfill", "success", backfill_id=backfill.id)
    await _run(db, "b5", 5, "backfill", "success", backfill_id=backfill.id)
    assert (await store.past_run("b4", ["a"], skip_manual=False)).first_in_backfill
    second = await store.past_run("b5", ["a"], skip_manual=False)
    assert not second.first_in_backfill and second.logical_date == day(4)


async def test_previous_success_and_xcoms_of_prior_dates(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "d")
    for n, state in ((1, "success"), (2, "failed"), (3, "running")):
        await q.create_dag_run(db, "d", f"r{n}", run_type="scheduled", logical_date=day(n), state=state,
                               tasks=[NewTaskInstance("a")], data_interval=(day(n), day(n + 1)))  # fmt: skip
        await db.execute(
            "INSERT INTO xcom (dag_id, run_id, task_id, map_index, key, value) VALUES ('d', $1, 'a', -1, 'k', $2)",
            f"r{n}", n,
        )  # fmt: skip
    previous = await xq.previous_successful_run(db, "d", day(3))
    assert previous is not None and previous["run_id"] == "r1" and previous["data_interval_end"] == day(2)
    assert await xq.previous_successful_run(db, "d", day(1)) is None
    prior = await xq.read_xcoms(db, "d", "r2", "a", "k", map_index=-1, include_prior_dates=True, own_dag=True)
    assert prior == [(-1, 2), (-1, 1)]  # latest run first, none after r2
    assert await xq.read_xcoms(db, "d", "r3", "a", "k", map_index=-1, include_prior_dates=False, own_dag=True) == [
        (-1, 3)
    ]
    # Another DAG's XComs go through the checked function: the schema owner is not confined, so it may.
    through = await xq.read_xcoms(db, "d", "r3", "a", "k", map_index=None, include_prior_dates=True, own_dag=False)
    assert through == [(-1, 3), (-1, 2), (-1, 1)]
