"""Writing loaded DAGs to the metastore: the `dag` row and, when the serialized DAG changed, a new `dag_version`.

The app does this at start-up for the DAGs of its file; `riir-airflow dags reserialize` does it for a whole folder,
so that the broker and the metastore-backed commands (`dags details`, `pause`, `trigger`) know the DAGs before any
app runs. A DAG whose app is running keeps its `app_id`.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from riir_airflow.metastore import app_queries, queries
from riir_airflow.serialization.serialized_dag import dag_hash, serialize_dag


def paused_at_creation(dag: Any) -> bool:
    if dag.is_paused_upon_creation is not None:
        return bool(dag.is_paused_upon_creation)
    from riir_airflow.config import conf

    return conf.getboolean("core", "dags_are_paused_at_creation", fallback=True)


async def store_dag(db: Any, dag: Any, *, app_id: str | None, identity: Any = None) -> uuid.UUID:
    """Upserts the DAG's row and returns the id of its current version (new when the serialized DAG or the deploy
    `identity` changed). `app_id=None` keeps the app recorded for the DAG, if any."""
    document = serialize_dag(dag)
    schedule = document["schedule"]
    if app_id is None:
        existing = await queries.get_dag(db, dag.dag_id)
        app_id = existing.app_id if existing is not None else None
    await queries.upsert_dag(
        db, dag.dag_id, fileloc=dag.fileloc, relative_fileloc=dag.relative_fileloc, owners=dag.owner,
        tags=sorted(dag.tags), description=dag.description, dag_display_name=dag.dag_display_name,
        timetable_summary=schedule["summary"], timetable_description=schedule["description"],
        max_active_tasks=dag.max_active_tasks, max_active_runs=dag.max_active_runs,
        max_consecutive_failed_dag_runs=dag.max_consecutive_failed_dag_runs,
        has_task_concurrency_limits=any(t.max_active_tis_per_dag for t in dag.tasks),
        is_paused_upon_creation=paused_at_creation(dag), app_id=app_id,
    )  # fmt: skip
    structure_hash = dag_hash(document)
    # The file's text rides along for the UI's Code tab (the broker never reads DAG files); a new version is still
    # made only when the DAG's structure or settings change, as in Airflow.
    document["source_code"] = _source_text(dag.fileloc)
    version = await queries.add_dag_version(db, dag.dag_id, document, structure_hash, identity=identity)
    # The assets the DAG schedules on or produces exist from now on, as Airflow records them when it parses.
    for name, uri, group in _assets(document):
        await app_queries.declare_asset(db, name, uri, group=group)
    return version.id


def _source_text(fileloc: str) -> str | None:
    try:
        return Path(fileloc).read_text(errors="replace")
    except OSError:
        return None  # a DAG made in code without a file: the Code tab says so


def _assets(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    found: dict[tuple[str, str], str] = {}

    def collect(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            if isinstance(value.get("uri"), str) and isinstance(value.get("name"), str):
                found[(value["name"], value["uri"])] = str(value.get("group") or "asset")
            else:
                for item in value.values():
                    collect(item)

    # Airflow's order (the first of two assets sharing a name or URI is the one activated): the schedule's assets,
    # then each task's inlets and outlets.
    collect(document["schedule"].get("asset_condition"))
    for task in document.get("tasks") or []:
        collect(task.get("inlets") or [])
        collect(task.get("outlets") or [])
    return [(name, uri, group) for (name, uri), group in found.items()]


async def record_import_errors(db: Any, errors: dict[str, str]) -> None:
    """Each failed file as an `import_error` event (the broker's /importErrors, `dags list-import-errors`)."""
    for filename, stack_trace in errors.items():
        await queries.record_event(
            db, "import_error", extra={"filename": filename, "stack_trace": stack_trace, "bundle_name": None}
        )
