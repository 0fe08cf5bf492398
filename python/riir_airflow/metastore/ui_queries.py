"""Metastore reads only the web UI needs: one round trip per page section, shaped for the templates.

The REST API's queries (api_queries.py) return one resource at a time; a UI page needs several joined (a DAG with
its last runs and its app's health, a grid of runs x tasks), so those joins live here.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from riir_airflow.metastore.queries import Db, _Filters, transaction
from riir_airflow.metastore.records import DagRecord, DagRunRecord, from_row, from_rows

RECENT_RUNS = 14


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    state: str
    run_type: str
    logical_date: datetime.datetime | None
    run_after: datetime.datetime
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None


@dataclass(frozen=True)
class DagListItem:
    dag: DagRecord
    recent_runs: list[RunSummary]  # newest last
    app_state: str | None  # the serving app's row state (running, draining, stopped) or None
    app_heartbeat_age: float | None  # seconds since the app's last heartbeat
    standby_apps: int  # other live replicas waiting for the DAG's lock


@dataclass(frozen=True)
class DagListPage:
    items: list[DagListItem]
    total_entries: int
    tags: list[str]
    import_errors: list[dict[str, Any]] = field(default_factory=list)


def _run(row: Any) -> RunSummary:
    return RunSummary(row["run_id"], row["state"], row["run_type"], row["logical_date"], row["run_after"],
                      row["start_date"], row["end_date"])  # fmt: skip


async def dag_list(
    db: Db,
    *,
    search: str | None = None,
    tags: Sequence[str] = (),
    paused: bool | None = None,
    limit: int = 25,
    offset: int = 0,
) -> DagListPage:
    """A page of DAGs (by dag_id) with their recent runs and app health, every tag, and import errors."""
    filters = _Filters()
    filters.add("NOT d.is_stale")
    if search:
        filters.add("(d.dag_id ILIKE {0} OR d.dag_display_name ILIKE {0})", f"%{search}%")
    if tags:
        filters.add("d.tags && {}::text[]", list(tags))
    if paused is not None:
        filters.add("d.is_paused = {}", paused)
    async with transaction(db) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM dag d {filters.where()}", *filters.args)
        page_sql = filters.page(limit, offset)
        rows = await conn.fetch(f"SELECT d.* FROM dag d {filters.where()} ORDER BY d.dag_id {page_sql}", *filters.args)
        dags = from_rows(DagRecord, rows)
        ids = [d.dag_id for d in dags]
        run_rows = await conn.fetch(
            "SELECT r.* FROM unnest($1::text[]) AS d(dag_id) CROSS JOIN LATERAL (SELECT dag_id, run_id, state, "
            "run_type, logical_date, run_after, start_date, end_date FROM dag_run WHERE dag_run.dag_id = d.dag_id "
            "ORDER BY run_after DESC, id DESC LIMIT $2) r",
            ids, RECENT_RUNS,
        )  # fmt: skip
        app_rows = await conn.fetch(
            "SELECT a.id, a.state, extract(epoch FROM now() - a.last_heartbeat) AS age, d AS dag_id "
            "FROM app a CROSS JOIN LATERAL unnest(a.dag_ids) AS d WHERE d = ANY($1::text[])",
            ids,
        )
        tag_rows = await conn.fetch("SELECT DISTINCT unnest(tags) AS tag FROM dag WHERE NOT is_stale ORDER BY tag")
        errors = await conn.fetch(
            "SELECT DISTINCT ON (extra ->> 'filename') id, dttm, extra FROM event WHERE event = 'import_error' "
            "AND dttm > now() - interval '1 day' ORDER BY extra ->> 'filename', dttm DESC LIMIT 20"
        )
    runs: dict[str, list[RunSummary]] = {}
    for row in run_rows:
        runs.setdefault(row["dag_id"], []).insert(0, _run(row))
    items = []
    for dag in dags:
        mine = [r for r in app_rows if r["dag_id"] == dag.dag_id]
        serving = next((r for r in mine if r["id"] == dag.app_id), None)
        live = [r for r in mine if r["state"] != "stopped" and r["id"] != dag.app_id]
        items.append(
            DagListItem(
                dag, runs.get(dag.dag_id, []), serving["state"] if serving else None,
                float(serving["age"]) if serving else None, len(live),
            )
        )  # fmt: skip
    return DagListPage(items, int(total), [r["tag"] for r in tag_rows], [dict(r) for r in errors])


@dataclass
class GridCells:
    """The grid's task instances: per task id, per shown run (by position) None (no instance), [state, 1] (one
    instance: the common case, already in the page's cell format) or a dict state -> count (a mapped task's
    instances); per (task, map_index) of mapped tasks the state per run position."""

    runs: list[DagRunRecord]  # oldest first
    by_task: dict[str, list[list[Any] | dict[str | None, int] | None]] = field(default_factory=dict)
    by_index: dict[tuple[str, int], list[str | bool | None]] = field(default_factory=dict)


async def grid(db: Db, dag_id: str, *, limit: int = 25) -> GridCells:
    """The newest `limit` runs (oldest first) and their task instances' states, shaped per task and run position
    (a 100 x 100 grid is 10,000 instances: one pass over plain rows; PostgreSQL's array_agg per run cost more
    server time than it saved in decoding)."""
    async with transaction(db) as conn:
        run_rows = await conn.fetch(
            "SELECT * FROM dag_run WHERE dag_id = $1 ORDER BY run_after DESC, id DESC LIMIT $2", dag_id, limit
        )
        runs = from_rows(DagRunRecord, list(reversed(run_rows)))
        ti_rows = await conn.fetch(
            "SELECT run_id, task_id, state, map_index FROM task_instance "
            "WHERE dag_id = $1 AND run_id = ANY($2::text[])",
            dag_id, [r.run_id for r in runs],
        )  # fmt: skip
    result = GridCells(runs)
    position = {r.run_id: i for i, r in enumerate(runs)}
    width = len(runs)
    by_task = result.by_task
    for run_id, task_id, state, map_index in ti_rows:
        i = position[run_id]
        column = by_task.get(task_id)
        if column is None:
            column = by_task[task_id] = [None] * width
        cell = column[i]
        if cell is None:
            column[i] = [state, 1]
        elif isinstance(cell, list):
            merged = column[i] = {cell[0]: cell[1]}
            merged[state] = merged.get(state, 0) + 1
        else:
            cell[state] = cell.get(state, 0) + 1
        if map_index >= 0:
            per_index = result.by_index.get((task_id, map_index))
            if per_index is None:
                per_index = result.by_index[(task_id, map_index)] = [False] * width  # False: no instance
            per_index[i] = state
    return result


async def run_task_instances(db: Db, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """Every task instance of one run (for the gantt chart and the graph's live states)."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT task_id, map_index, state, try_number, start_date, end_date, queued_dttm, duration "
            "FROM task_instance WHERE dag_id = $1 AND run_id = $2 ORDER BY start_date NULLS LAST, task_id, map_index",
            dag_id, run_id,
        )  # fmt: skip
    return [dict(r) for r in rows]


async def task_durations(db: Db, dag_id: str, *, limit: int = 25) -> tuple[list[DagRunRecord], list[dict[str, Any]]]:
    """The newest `limit` runs (oldest first) and each task instance's duration in them."""
    async with transaction(db) as conn:
        run_rows = await conn.fetch(
            "SELECT * FROM dag_run WHERE dag_id = $1 ORDER BY run_after DESC, id DESC LIMIT $2", dag_id, limit
        )
        runs = from_rows(DagRunRecord, list(reversed(run_rows)))
        rows = await conn.fetch(
            "SELECT run_id, task_id, max(duration) AS duration, min(queued_dttm) AS queued, min(start_date) AS start "
            "FROM task_instance WHERE dag_id = $1 AND run_id = ANY($2::text[]) GROUP BY run_id, task_id",
            dag_id, [r.run_id for r in runs],
        )  # fmt: skip
    return runs, [dict(r) for r in rows]


async def version_sources(db: Db, dag_id: str) -> list[dict[str, Any]]:
    """Every version of a DAG with its stored source text and the number of runs that used it, newest first."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT v.id, v.version_number, v.created_at, v.data ->> 'source_code' AS source_code, "
            "v.data ->> 'fileloc' AS fileloc, (SELECT count(*) FROM dag_run r WHERE r.dag_version_id = v.id) AS runs "
            "FROM dag_version v WHERE v.dag_id = $1 ORDER BY v.version_number DESC",
            dag_id,
        )
    return [dict(r) for r in rows]


async def latest_serialized(db: Db, dag_id: str) -> tuple[int, dict[str, Any]] | None:
    """(version_number, serialized DAG) of a DAG's latest version."""
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "SELECT version_number, data FROM dag_version WHERE dag_id = $1 ORDER BY version_number DESC LIMIT 1",
            dag_id,
        )
    if row is None or not isinstance(row["data"], dict):
        return None
    return int(row["version_number"]), row["data"]


async def version_number_of(db: Db, version_id: Any) -> int | None:
    if version_id is None:
        return None
    async with transaction(db) as conn:
        value = await conn.fetchval("SELECT version_number FROM dag_version WHERE id = $1", version_id)
    return int(value) if value is not None else None


async def latest_run(db: Db, dag_id: str) -> DagRunRecord | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "SELECT * FROM dag_run WHERE dag_id = $1 ORDER BY run_after DESC, id DESC LIMIT 1", dag_id
        )
    return from_row(DagRunRecord, row) if row else None


async def backfill_progress(db: Db, dag_id: str) -> list[dict[str, Any]]:
    """The DAG's backfills, newest first, with their runs counted by state."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT b.*, (SELECT jsonb_object_agg(state, n) FROM (SELECT state, count(*) AS n FROM dag_run r "
            "WHERE r.backfill_id = b.id GROUP BY state) s) AS states FROM backfill b WHERE b.dag_id = $1 "
            "ORDER BY b.id DESC LIMIT 20",
            dag_id,
        )
    return [dict(r) for r in rows]
