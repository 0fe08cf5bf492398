"""What the engine and the task channel read across the runs of a DAG: the run before a run (depends_on_past), the
previous successful run (the `prev_*_success` context values), XComs of other runs (`xcom_pull` with `run_id` or
`include_prior_dates`), and the DAG's latest runs (`max_consecutive_failed_dag_runs`).

Reads of the app's own DAGs only: row-level security confines an app's role to them. XComs of *another* DAG are read
through `riir_read_xcoms` (migration 0011), which checks the caller's grant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from riir_airflow.metastore.queries import Db, transaction


async def past_run(db: Db, dag_id: str, run_id: str, task_ids: Collection[str], *, skip_manual: bool) -> dict[str, Any]:
    """The run before `run_id` by logical date and the states of `task_ids`' instances in it (Airflow's
    PrevDagrunDep): {exists, first_in_backfill, logical_date, states: {task_id: [state...]}, tasks_run_before}."""
    async with transaction(db) as conn:
        me = await conn.fetchrow(
            "SELECT logical_date, backfill_id FROM dag_run WHERE dag_id = $1 AND run_id = $2", dag_id, run_id
        )
        if me is None or me["logical_date"] is None:
            return {"exists": False}
        if me["backfill_id"] is not None:
            # Airflow: the run with sort_ordinal 1 of its backfill; here, the backfill's run with the earliest date.
            earlier_in_backfill = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM dag_run WHERE dag_id = $1 AND backfill_id = $2 AND logical_date < $3)",
                dag_id, me["backfill_id"], me["logical_date"],
            )  # fmt: skip
            if not earlier_in_backfill:
                return {"exists": True, "first_in_backfill": True}
        previous = await conn.fetchrow(
            "SELECT run_id, logical_date FROM dag_run WHERE dag_id = $1 AND logical_date < $2 "
            "AND ($3 = false OR run_type <> 'manual') ORDER BY logical_date DESC LIMIT 1",
            dag_id, me["logical_date"], skip_manual,
        )  # fmt: skip
        if previous is None:
            return {"exists": False}
        rows = await conn.fetch(
            "SELECT task_id, state FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = ANY($3::text[]) "
            "ORDER BY task_id, map_index",
            dag_id, previous["run_id"], list(task_ids),
        )  # fmt: skip
        before = await conn.fetch(
            "SELECT DISTINCT ti.task_id FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id "
            "AND r.run_id = ti.run_id WHERE ti.dag_id = $1 AND r.logical_date < $2 AND ti.task_id = ANY($3::text[])",
            dag_id, me["logical_date"], list(task_ids),
        )  # fmt: skip
    states: dict[str, list[str | None]] = {}
    for row in rows:
        states.setdefault(row["task_id"], []).append(row["state"])
    return {
        "exists": True,
        "logical_date": previous["logical_date"],
        "states": states,
        "tasks_run_before": [r["task_id"] for r in before],
    }


async def previous_successful_run(db: Db, dag_id: str, logical_date: dt.datetime | None) -> Any:
    """The latest successful run with a logical date before `logical_date` (Airflow's
    get_previous_successful_dagrun), or None: its intervals and dates feed the `prev_*_success` context values."""
    if logical_date is None:
        return None
    return await db.fetchrow(
        "SELECT run_id, logical_date, data_interval_start, data_interval_end, start_date, end_date FROM dag_run "
        "WHERE dag_id = $1 AND logical_date < $2 AND state = 'success' ORDER BY logical_date DESC LIMIT 1",
        dag_id, logical_date,
    )  # fmt: skip


async def read_xcoms(
    db: Db,
    dag_id: str,
    run_id: str,
    task_id: str,
    key: str,
    *,
    map_index: int | None,
    include_prior_dates: bool,
    own_dag: bool,
) -> list[tuple[int, Any]]:
    """XComs of a task as Airflow's `XComModel.get_many` selects them: of `run_id`, or with `include_prior_dates`
    of every run of the DAG whose logical date (or run_after) is not after `run_id`'s, latest run first; one map
    index or all of them. Another DAG's are read through the checked function `riir_read_xcoms`."""
    if not own_dag:
        rows = await db.fetch(
            "SELECT xcom_map_index, xcom_value FROM riir_read_xcoms($1, $2, $3, $4, $5, $6)",
            dag_id, run_id, task_id, key, map_index, include_prior_dates,
        )  # fmt: skip
        return [(r["xcom_map_index"], r["xcom_value"]) for r in rows]
    rows = await db.fetch(
        """
        SELECT x.map_index, x.value FROM xcom x JOIN dag_run r ON r.dag_id = x.dag_id AND r.run_id = x.run_id
        WHERE x.dag_id = $1 AND x.task_id = $3 AND x.key = $4 AND ($5::int IS NULL OR x.map_index = $5)
          AND CASE WHEN $6 THEN coalesce(r.logical_date, r.run_after) <= (
                    SELECT coalesce(m.logical_date, m.run_after) FROM dag_run m WHERE m.dag_id = $1 AND m.run_id = $2)
               ELSE x.run_id = $2 END
        ORDER BY r.logical_date DESC, x.timestamp DESC
        """,
        dag_id, run_id, task_id, key, map_index, include_prior_dates,
    )  # fmt: skip
    return [(r["map_index"], r["value"]) for r in rows]


async def latest_run_states(db: Db, dag_id: str, limit: int) -> list[str]:
    """The states of the DAG's `limit` latest runs by run_after (whatever their state), newest first: Airflow pauses
    a DAG after max_consecutive_failed_dag_runs when all of them failed."""
    rows = await db.fetch(
        "SELECT state FROM dag_run WHERE dag_id = $1 ORDER BY run_after DESC, id DESC LIMIT $2", dag_id, limit
    )
    return [r["state"] for r in rows]
