"""Lookups and shapes shared by the routers."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import HTTPException

from riir_airflow.broker import views
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.queries import Db
from riir_airflow.metastore.records import (
    DagRecord,
    DagRunRecord,
    DagVersionRecord,
    Row,
    TaskInstanceHistoryRecord,
    TaskInstanceKey,
    TaskInstanceRecord,
    fields_of,
)

# Where the REST API is mounted (Airflow 3's public API).
API_PREFIX = "/api/v2"

DATE_RANGE_OPS = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}


async def require_dag(db: Db, dag_id: str) -> DagRecord:
    dag = await q.get_dag(db, dag_id)
    if dag is None:
        raise HTTPException(404, f"Dag with id {dag_id} was not found")
    return dag


async def require_run(db: Db, dag_id: str, run_id: str) -> DagRunRecord:
    run = await q.get_dag_run(db, dag_id, run_id)
    if run is None:
        raise HTTPException(404, f"The DagRun with dag_id: `{dag_id}` and run_id: `{run_id}` was not found")
    return run


async def require_ti(db: Db, dag_id: str, run_id: str, task_id: str, map_index: int) -> TaskInstanceRecord:
    ti = await q.get_task_instance(db, TaskInstanceKey(dag_id, run_id, task_id, map_index))
    if ti is None:
        raise HTTPException(
            404,
            f"The Task Instance with dag_id: `{dag_id}`, run_id: `{run_id}`, task_id: `{task_id}` and map_index: "
            f"`{map_index}` was not found",
        )
    return ti


def display_name(dag: DagRecord) -> str:
    """As aq.display_names reads it (`coalesce(dag_display_name, dag_id)`)."""
    return dag.dag_id if dag.dag_display_name is None else dag.dag_display_name


def ranges(values: dict[str, datetime.datetime | float | None], columns: dict[str, str]) -> list[tuple[str, str, Any]]:
    """`{"logical_date_gte": x, ...}` as (column, operator, value) filters; `columns` maps prefixes to columns."""
    out = []
    for name, value in values.items():
        if value is None:
            continue
        prefix, _, op = name.rpartition("_")
        out.append((columns.get(prefix, prefix), DATE_RANGE_OPS[op], value))
    return out


async def run_payloads(db: Db, runs: Sequence[DagRunRecord], *, dag: DagRecord | None = None) -> list[dict[str, Any]]:
    """Runs as records: see `run_row_payloads`."""
    return await run_row_payloads(db, [fields_of(r) for r in runs], dag=dag)


async def run_row_payloads(
    db: Db,
    runs: Sequence[Row],
    *,
    dag: DagRecord | None = None,
    versions: Mapping[uuid.UUID, DagVersionRecord] | None = None,
    names: Mapping[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """Runs (their `dag_run` rows) with the versions they ran with and their DAGs' display names; a run without a
    version shows its DAG's latest. `dag` (the one DAG all of `runs` belong to), `versions`, `names`: when the
    caller has read them already (not read again)."""
    if dag is not None:
        names = {dag.dag_id: display_name(dag)}
    elif names is None:
        names = await aq.display_names(db, {r["dag_id"] for r in runs})
    if versions is None:
        versions = await aq.versions_by_id(db, {r["dag_version_id"] for r in runs if r["dag_version_id"]})
    missing = {r["dag_id"] for r in runs if r["dag_version_id"] is None}
    latest = await aq.latest_versions(db, missing) if missing else {}
    shown: dict[uuid.UUID, list[dict[str, Any]]] = {}  # each version's payload built once, shared by its runs
    out = []
    for r in runs:
        dag_id, version_id = r["dag_id"], r["dag_version_id"]
        name = names.get(dag_id) or dag_id
        version = versions.get(version_id) if version_id else latest.get(dag_id)
        if version is not None and version.id not in shown:
            shown[version.id] = [views.dag_version(version, name)]
        out.append(views.dag_run(r, name, shown[version.id] if version is not None else []))
    return out


async def ti_payloads(
    db: Db,
    tis: Sequence[TaskInstanceRecord | TaskInstanceHistoryRecord],
    *,
    dag_name: str | None = None,
    run: DagRunRecord | None = None,
    versions: Mapping[uuid.UUID, DagVersionRecord] | None = None,
) -> list[dict[str, Any]]:
    """Task instances (or earlier tries) as records: see `ti_row_payloads`."""
    return await ti_row_payloads(db, [fields_of(t) for t in tis], dag_name=dag_name, run=run, versions=versions)


async def ti_row_payloads(
    db: Db,
    tis: Sequence[Row],
    *,
    dag_name: str | None = None,
    run: DagRunRecord | None = None,
    versions: Mapping[uuid.UUID, DagVersionRecord] | None = None,
) -> list[dict[str, Any]]:
    """Task instances (their rows). `dag_name` / `run` / `versions`: the display name of the one DAG, the one run
    all of `tis` belong to, the versions they ran with, when the caller has read them already (not read again)."""
    if dag_name is not None:
        names = {t["dag_id"]: dag_name for t in tis[:1]}
    else:
        names = await aq.display_names(db, {t["dag_id"] for t in tis})
    if run is not None:
        runs = {(run.dag_id, run.run_id): fields_of(run)}
    else:
        found = await aq.runs_by_key(db, {(t["dag_id"], t["run_id"]) for t in tis})
        runs = {key: fields_of(r) for key, r in found.items()}
    if versions is None:
        versions = await aq.versions_by_id(db, {t["dag_version_id"] for t in tis if t["dag_version_id"]})
    shown: dict[uuid.UUID, dict[str, Any]] = {}  # each version's payload built once, shared by its task instances
    out = []
    for t in tis:
        dag_id, version_id = t["dag_id"], t["dag_version_id"]
        name = names.get(dag_id, dag_id)
        version = versions.get(version_id) if version_id else None
        if version is not None and version.id not in shown:
            shown[version.id] = views.dag_version(version, name)
        payload = shown[version.id] if version is not None else None
        out.append(views.task_instance(t, runs.get((dag_id, t["run_id"])), name, payload))
    return out


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
