"""Metastore records as Airflow's response shapes (dicts the response models validate).

The serialized DAG (dag_version.data, written by the DAG app) is read as plain JSON: the broker never imports DAG
code. Keys it may lack are given Airflow's defaults.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from typing import Any

from riir_airflow.metastore.records import (
    BackfillRecord,
    DagRecord,
    DagVersionRecord,
    Row,
    fields_of,
)
from riir_airflow.schedules.serialized_timetables import encoded_timetable, serialized_timetable_partitioned
from riir_airflow.secrets_masker import redact

PERIODIC_TIMETABLES = ("CronDataIntervalTimetable", "CronTriggerTimetable", "DeltaDataIntervalTimetable",
                       "DeltaTriggerTimetable", "MultipleCronTriggerTimetable")  # fmt: skip


def timetable_type(data: Any) -> str:
    timetable = encoded_timetable(data)
    if isinstance(timetable, dict):
        return str(timetable.get("__type", "")).rsplit(".", 1)[-1]
    return ""


@functools.lru_cache(maxsize=10_000)  # DAG listings ask again for the same few files
def file_token(fileloc: str) -> str:
    # Airflow signs the path; an opaque digest serves the same purpose (it only names the file).
    return hashlib.sha256(fileloc.encode()).hexdigest()[:32]


@functools.lru_cache(maxsize=1024)  # a few distinct owner strings among all DAGs: split once each
def _owners(owners: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in owners.split(",") if o.strip())


@functools.cache
def _timetable_traits(type_path: str) -> tuple[bool, bool]:
    """(partitioned, periodic) of a serialized timetable's `__type`: once per class, not once per DAG listed."""
    partitioned = serialized_timetable_partitioned({"schedule": {"timetable": {"__type": type_path}}})
    return partitioned, type_path.rsplit(".", 1)[-1] in PERIODIC_TIMETABLES


def dag_version(v: DagVersionRecord, display_name: str) -> dict[str, Any]:
    return {
        "id": str(v.id),  # (see task_instance)
        "version_number": v.version_number,
        "dag_id": v.dag_id,
        "bundle_name": v.bundle_name,
        "bundle_version": v.bundle_version,
        "created_at": v.created_at,
        "dag_display_name": display_name,
        "bundle_url": None,
    }


def dag(d: DagRecord, latest: DagVersionRecord | None, *, has_import_errors: bool = False) -> dict[str, Any]:
    data = latest.data if latest is not None and isinstance(latest.data, dict) else {}
    encoded = encoded_timetable(data)
    timetable = str(encoded.get("__type", "")) if isinstance(encoded, dict) else ""
    bundle_name, bundle_version = (latest.bundle_name, latest.bundle_version) if latest else (None, None)
    return dag_of_version(fields_of(d), bundle_name, bundle_version, timetable, has_import_errors=has_import_errors)


def dag_of_version(
    d: Row,
    bundle_name: str | None,
    bundle_version: str | None,
    timetable_type: str,
    *,
    has_import_errors: bool = False,
) -> dict[str, Any]:
    """The DAG (its `dag` row's columns) with what it shows of its latest version (the DAG list reads only these,
    not the version's data)."""
    partitioned, periodic = _timetable_traits(timetable_type)
    dag_id, fileloc = d["dag_id"], d["fileloc"]
    name = d["dag_display_name"] or dag_id
    return {
        "dag_id": dag_id,
        "dag_display_name": name,
        "is_paused": d["is_paused"],
        "is_stale": d["is_stale"],
        "last_parsed_time": d["last_parsed_time"],
        "last_parse_duration": None,
        "last_expired": None,
        "bundle_name": bundle_name,
        "bundle_version": bundle_version,
        "relative_fileloc": d["relative_fileloc"],
        "fileloc": fileloc,
        "description": d["description"],
        "timetable_summary": d["timetable_summary"],
        "timetable_description": d["timetable_description"],
        "timetable_partitioned": partitioned,
        "timetable_periodic": periodic,
        "tags": [{"name": t, "dag_id": dag_id, "dag_display_name": name} for t in d["tags"]],
        "max_active_tasks": d["max_active_tasks"],
        "max_active_runs": d["max_active_runs"],
        "max_consecutive_failed_dag_runs": d["max_consecutive_failed_dag_runs"],
        "has_task_concurrency_limits": d["has_task_concurrency_limits"],
        "has_import_errors": has_import_errors,
        "next_dagrun_logical_date": d["next_dagrun"],
        "next_dagrun_data_interval_start": d["next_dagrun_data_interval_start"],
        "next_dagrun_data_interval_end": d["next_dagrun_data_interval_end"],
        "next_dagrun_run_after": d["next_dagrun_create_after"],
        "allowed_run_types": None,
        "owners": list(_owners(d["owners"])),  # a list of its own: a caller may change it
        "is_backfillable": periodic,
        "file_token": file_token(fileloc),
    }


def dag_details(
    d: DagRecord, latest: DagVersionRecord | None, active_runs: int, *, favorite: bool = False
) -> dict[str, Any]:
    data = latest.data if latest is not None and isinstance(latest.data, dict) else {}
    out = dag(d, latest)
    timeout = data.get("dagrun_timeout")
    out.update(
        catchup=bool(data.get("catchup", False)),
        dag_run_timeout=datetime.timedelta(seconds=float(timeout)) if isinstance(timeout, int | float) else None,
        asset_expression=data.get("asset_expression"),
        doc_md=data.get("doc_md"),
        start_date=data.get("start_date"),
        end_date=data.get("end_date"),
        is_paused_upon_creation=data.get("is_paused_upon_creation"),
        params=data.get("params") if isinstance(data.get("params"), dict) else {},
        render_template_as_native_obj=bool(data.get("render_template_as_native_obj", False)),
        template_search_path=data.get("template_searchpath"),
        timezone=data.get("timezone", "UTC"),
        last_parsed=d.last_parsed_time,
        default_args=data.get("default_args") if isinstance(data.get("default_args"), dict) else {},
        rerun_with_latest_version=None,
        owner_links=data.get("owner_links") or {},
        is_favorite=favorite,
        active_runs_count=active_runs,
        concurrency=d.max_active_tasks,
        latest_dag_version=dag_version(latest, d.dag_display_name or d.dag_id) if latest else None,
    )
    return out


def dag_run(r: Row, display_name: str, versions: list[dict[str, Any]]) -> dict[str, Any]:
    """A run (its `dag_run` row's columns)."""
    start, end = r["start_date"], r["end_date"]
    return {
        "dag_run_id": r["run_id"],
        "dag_id": r["dag_id"],
        "logical_date": r["logical_date"],
        "queued_at": r["queued_at"],
        "start_date": start,
        "end_date": end,
        "duration": (end - start).total_seconds() if end and start else None,
        "data_interval_start": r["data_interval_start"],
        "data_interval_end": r["data_interval_end"],
        "run_after": r["run_after"],
        "last_scheduling_decision": r["last_scheduling_decision"],
        "run_type": r["run_type"],
        "state": r["state"],
        "triggered_by": r["triggered_by"],
        "triggering_user_name": r["triggering_user_name"],
        "conf": r["conf"],
        "note": r["note"],
        "dag_versions": versions,
        "bundle_version": None,
        "dag_display_name": display_name,
        "partition_key": r["partition_key"],
        "partition_date": r["partition_date"],
    }


def task_instance(
    ti: Row, run: Row | None, display_name: str, version: dict[str, Any] | None, operator_name: str | None = None
) -> dict[str, Any]:
    """A task instance or one of its earlier tries (a `task_instance` or `task_instance_history` row's columns; the
    latter lacks a few, shown as None) in its run (None: the run is gone)."""
    operator, task_id = ti["operator"], ti["task_id"]
    return {
        # As text: pydantic-core writes asyncpg's UUID subclass through its slow path (a third of a listing's JSON).
        "id": str(ti.get("task_instance_id") or ti["id"]),  # a history row's own id is not the task instance's
        "task_id": task_id,
        "dag_id": ti["dag_id"],
        "dag_run_id": ti["run_id"],
        "map_index": ti["map_index"],
        "logical_date": run["logical_date"] if run else None,
        "run_after": run["run_after"] if run else ti["updated_at"],
        "start_date": ti["start_date"],
        "end_date": ti["end_date"],
        "duration": ti["duration"],
        "state": ti["state"],
        "try_number": ti["try_number"],
        "max_tries": ti["max_tries"],
        "task_display_name": ti["task_display_name"] or task_id,
        "dag_display_name": display_name,
        "hostname": ti["hostname"],
        "unixname": None,
        "pool": ti["pool"],
        "pool_slots": ti["pool_slots"],
        "queue": ti["queue"],
        "priority_weight": ti["priority_weight"],
        "operator": operator,
        "operator_name": ti.get("custom_operator_name") or operator_name or operator,
        "queued_when": ti["queued_dttm"],
        "scheduled_when": ti["scheduled_dttm"],
        "pid": ti["pid"],
        "executor": None,
        "executor_config": "{}",
        "note": ti.get("note"),
        "rendered_map_index": ti.get("rendered_map_index"),
        "rendered_fields": redact(ti["rendered_fields"] or {}),  # fields under sensitive names, whoever wrote them
        "trigger": None,
        "triggerer_job": None,
        "dag_version": version,
    }


def backfill(b: BackfillRecord, display_name: str) -> dict[str, Any]:
    return {
        "id": b.id,
        "dag_id": b.dag_id,
        "from_date": b.from_date,
        "to_date": b.to_date,
        "dag_run_conf": b.dag_run_conf,
        "is_paused": b.is_paused,
        "reprocess_behavior": b.reprocess_behavior,
        "max_active_runs": b.max_active_runs,
        "created_at": b.created_at,
        "completed_at": b.completed_at,
        "updated_at": b.updated_at,
        "dag_display_name": display_name,
    }


def serialized_tasks(data: Any) -> list[dict[str, Any]]:
    tasks = data.get("tasks") if isinstance(data, dict) else None
    return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []
