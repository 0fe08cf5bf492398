"""Deadline alerts of DAG runs (table `deadline`, migration 0011): made when the app first sees a run, claimed once
when they fall (the callback then runs), dropped when the run succeeds. See engine/deadlines.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from riir_airflow.metastore.queries import Db


async def runs_with_deadlines(db: Db, dag_id: str, run_ids: Collection[str]) -> set[str]:
    """Which of these runs have their deadline rows already."""
    rows = await db.fetch(
        "SELECT DISTINCT run_id FROM deadline WHERE dag_id = $1 AND run_id = ANY($2::text[])", dag_id, list(run_ids)
    )
    return {r["run_id"] for r in rows}


async def add_deadlines(db: Db, dag_id: str, run_id: str, times: Sequence[dt.datetime | None]) -> None:
    """One row per alert (by index); a row made already (by an earlier life of the app) stays as it is."""
    await db.execute(
        "INSERT INTO deadline (dag_id, run_id, alert_index, deadline_time) "
        "SELECT $1, $2, i - 1, t FROM unnest($3::timestamptz[]) WITH ORDINALITY AS x(t, i) "
        "ON CONFLICT (dag_id, run_id, alert_index) DO NOTHING",
        dag_id, run_id, list(times),
    )  # fmt: skip


async def claim_missed(db: Db, dag_id: str) -> list[Any]:
    """The deadlines that fell, marked missed in the same statement (so each callback fires once)."""
    return list(
        await db.fetch(
            "UPDATE deadline SET missed = true WHERE dag_id = $1 AND NOT missed AND deadline_time <= now() "
            "RETURNING id, run_id, alert_index, deadline_time",
            dag_id,
        )
    )


async def next_deadline(db: Db, dag_id: str) -> dt.datetime | None:
    """When the next deadline of the DAG falls (None: none pending)."""
    when: dt.datetime | None = await db.fetchval(
        "SELECT min(deadline_time) FROM deadline WHERE dag_id = $1 AND NOT missed AND deadline_time IS NOT NULL",
        dag_id,
    )
    return when


async def prune(db: Db, dag_id: str, run_id: str) -> None:
    """A run that succeeded needs its pending deadlines no more (missed ones stay: their callbacks ran)."""
    await db.execute("DELETE FROM deadline WHERE dag_id = $1 AND run_id = $2 AND NOT missed", dag_id, run_id)


async def recent_durations(db: Db, dag_id: str, limit: int) -> list[float]:
    """Durations (seconds) of the DAG's latest `limit` successful runs by logical date (AVERAGE_RUNTIME)."""
    rows = await db.fetch(
        "SELECT extract(epoch FROM end_date - start_date)::float8 AS seconds FROM dag_run WHERE dag_id = $1 "
        "AND state = 'success' AND start_date IS NOT NULL AND end_date IS NOT NULL "
        "ORDER BY logical_date DESC LIMIT $2",
        dag_id, limit,
    )  # fmt: skip
    return [float(r["seconds"]) for r in rows]
