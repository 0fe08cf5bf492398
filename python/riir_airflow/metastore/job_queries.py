"""Airflow's `job` rows as riir-airflow has them: each DAG app registration (the `app` table) is one job.

An app does what Airflow's scheduler job does for its DAGs (it creates runs, decides what is ready and starts the
tries), so its job_type is `SchedulerJob`; `dag_id` is set when the app serves exactly one DAG. A running or
draining app is a `running` job (its end_date unknown); a stopped one (it deregistered) is a `success` job that
ended at its last heartbeat. riir keeps no OS user name of an app: `unixname` is null.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from riir_airflow.metastore.queries import Db, _Filters, _order, transaction

JOB_TYPE = "SchedulerJob"
EXECUTOR_CLASS = "ForkExecutor"  # each try runs in a process forked from the app's fork server

# The app table seen as Airflow's job table.
_JOBS = f"""(SELECT a.job_id AS id, CASE WHEN cardinality(a.dag_ids) = 1 THEN a.dag_ids[1] END AS dag_id,
    CASE WHEN a.state = 'stopped' THEN 'success' ELSE 'running' END AS state, '{JOB_TYPE}'::text AS job_type,
    a.started_at AS start_date, CASE WHEN a.state = 'stopped' THEN a.last_heartbeat END AS end_date,
    a.last_heartbeat AS latest_heartbeat, '{EXECUTOR_CLASS}'::text AS executor_class, a.hostname,
    NULL::text AS unixname, now() AS db_now FROM app a) AS job"""
ORDERABLE = ("id", "dag_id", "state", "job_type", "start_date", "end_date", "latest_heartbeat", "executor_class",
             "hostname", "unixname")  # fmt: skip


async def list_jobs(
    db: Db,
    *,
    ranges: Sequence[tuple[str, str, Any]] = (),
    equal: dict[str, str | None],
    alive_within: float | None,
    is_alive: bool | None,
    order_by: Sequence[str],
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """Jobs as dicts with Airflow's columns, and the total before `is_alive` (Airflow filters that after paging).
    A job is alive while it runs and its heartbeat is younger than `alive_within` seconds."""
    filters = _Filters()
    for column, op, value in ranges:
        filters.add(f"{column} {op} {{}}", value)
    for column, value in equal.items():
        if value is not None:
            filters.add(f"{column} = {{}}", value)
    order = _order(order_by, ORDERABLE, "id")
    async with transaction(db) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM {_JOBS} {filters.where()}", *filters.args)
        page = filters.page(limit, offset)
        rows = await conn.fetch(f"SELECT * FROM {_JOBS} {filters.where()} {order} {page}", *filters.args)
        dag_ids = [r["dag_id"] for r in rows if r["dag_id"]]
        named = await conn.fetch(
            "SELECT dag_id, coalesce(dag_display_name, dag_id) AS name FROM dag WHERE dag_id = ANY($1::text[])", dag_ids
        )
    names: dict[str, str] = {r["dag_id"]: r["name"] for r in named}
    jobs = []
    for row in rows:
        job = {k: v for k, v in row.items() if k != "db_now"}
        job["dag_display_name"] = names.get(row["dag_id"]) if row["dag_id"] else None
        alive = row["state"] == "running" and _age(row["db_now"], row["latest_heartbeat"]) < (alive_within or 0)
        if is_alive is None or alive == is_alive:
            jobs.append(job)
    return jobs, int(total)


def _age(now: datetime.datetime, then: datetime.datetime) -> float:
    return (now - then).total_seconds()
