"""The per-DAG row counters of migration 0007 match count(*) after every kind of change (inserts, XCom upserts,
deletes cascading from a run, a DAG's deletion, truncation, `db clean`), and the list queries' total_entries read
them only when a list is filtered by nothing but its DAG."""

from __future__ import annotations

import datetime

import asyncpg

from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import cleanup
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import TaskInstanceKey
from tests.metastore.conftest import make_run

TABLES = ("dag_run", "task_instance", "xcom", "event")


async def assert_counters_match(db: asyncpg.Pool) -> None:
    for table in TABLES:
        real = {r["d"]: r["n"] for r in await db.fetch(
            f"SELECT coalesce(dag_id, '') AS d, count(*) AS n FROM {table} GROUP BY 1")}  # fmt: skip
        kept = {r["dag_id"]: r["n"] for r in await db.fetch(
            "SELECT dag_id, n FROM riir_row_count WHERE table_name = $1 AND n <> 0", table)}  # fmt: skip
        assert kept == real, table


async def test_counters_follow_every_change(db: asyncpg.Pool) -> None:
    await make_run(db, "a", "r1", tasks=("t1", "t2", "t3"))
    await make_run(db, "a", "r2", tasks=("t1", "t2", "t3"))
    await make_run(db, "b", "r1", tasks=("t1",))
    for run in ("r1", "r2"):
        key = TaskInstanceKey("a", run, "t1", -1)
        await q.set_xcom(db, key, "return_value", 1)
        await q.set_xcom(db, key, "return_value", 2)  # an upsert that updates counts nothing new
        await q.set_xcom(db, key, "other", 3)
    await q.record_event(db, "trigger_dag_run", dag_id="a", run_id="r1")
    await q.record_event(db, "cli_check")  # no DAG
    await assert_counters_match(db)
    assert (await aq.list_tis_filtered(db)).total_entries == 7
    assert (await aq.list_tis_filtered(db, dag_id="a")).total_entries == 6
    assert (await aq.list_runs_filtered(db, dag_ids=["a", "b"])).total_entries == 3
    assert (await aq.list_xcoms_filtered(db, dag_id=None, run_id=None, task_id=None, key=None, map_index=None,
                                         limit=10, offset=0))[1] == 4  # fmt: skip
    assert (await q.list_events(db)).total_entries == 2
    # Filters other than the DAG count rows: the same answers.
    assert (await aq.list_tis_filtered(db, dag_id="a", run_id="r2")).total_entries == 3
    assert (await aq.list_tis_filtered(db, task_ids=["t1"])).total_entries == 3

    await aq.delete_dag_run(db, "a", "r1")  # cascades to its task instances and XComs
    await assert_counters_match(db)
    assert (await aq.list_tis_filtered(db, dag_id="a")).total_entries == 3
    assert await aq.delete_dag(db, "b")
    await assert_counters_match(db)
    await db.execute("TRUNCATE xcom")
    await assert_counters_match(db)


async def test_db_clean_keeps_the_counters(db: asyncpg.Pool) -> None:
    for run in ("r1", "r2", "r3"):
        await make_run(db, "c", run, tasks=("t1", "t2"))
        await db.execute("UPDATE dag_run SET start_date = now() - interval '30 days' WHERE run_id = 'r1'")
        await db.execute("UPDATE task_instance SET start_date = now() - interval '30 days' WHERE run_id = 'r1'")
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=10)
    counts = await cleanup.clean(db, before, skip_archive=True)
    assert counts["dag_run"] == 1 and counts["task_instance"] == 2
    await assert_counters_match(db)
    assert (await aq.list_tis_filtered(db)).total_entries == 4
