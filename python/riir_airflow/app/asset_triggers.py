"""Asset-triggered runs of the DAGs an app serves (`schedule=[asset, ...]` or an asset condition).

On each loop turn the app reads the asset events of the DAG's condition that no run of the DAG has consumed yet
(those after its last asset-triggered run, and not older than the DAG itself, as Airflow queues only events that
arrive while the consumer exists). When they satisfy the condition (every asset of an `&`/list, any of an `|`),
it creates one `asset_triggered` run and records the events it consumed (`dagrun_asset_event`) in the same
transaction, so each event triggers each consumer once, and several events before a run are coalesced into it.

The loop turn after a task's success in the same app sees its events at once (the success wakes the loop). A
consumer in another app sees them on its next wake-up (at the latest `IDLE_WAKE_SECONDS`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from riir_airflow.exceptions import DagRunAlreadyExists
from riir_airflow.metastore import app_queries, queries

log = logging.getLogger("riir_airflow.app.asset_triggers")


def asset_condition(dag: Any) -> Any:
    """The DAG's asset condition, or None when it is not asset-scheduled."""
    from riir_airflow.schedules.timetables import AssetTriggeredTimetable

    timetable = getattr(dag, "timetable", None)
    return timetable.asset_condition if isinstance(timetable, AssetTriggeredTimetable) else None


def satisfied(condition: Any, updated: set[tuple[str, str]]) -> bool:
    """Whether the assets with new events (name, uri) satisfy an asset condition."""
    from riir_airflow.schedules.assets import Asset, AssetAll, AssetAny

    if isinstance(condition, AssetAll):
        return all(satisfied(part, updated) for part in condition.objects)
    if isinstance(condition, AssetAny):
        return any(satisfied(part, updated) for part in condition.objects)
    if isinstance(condition, Asset):
        return (condition.name, condition.uri) in updated
    return False  # aliases resolve to assets at run time: not a trigger here


async def pending_events(db: Any, dag_id: str, condition: Any) -> list[dict[str, Any]]:
    """The events of the condition's assets that no run of `dag_id` has consumed yet, oldest first."""
    assets = list(condition.iter_assets())
    rows = await db.fetch(
        """
        SELECT e.id, a.name, a.uri
        FROM asset_event e
        JOIN asset a ON a.id = e.asset_id
        JOIN unnest($2::text[], $3::text[]) AS c(name, uri) ON a.name = c.name AND a.uri = c.uri
        WHERE e.timestamp >= (SELECT created_at FROM dag WHERE dag_id = $1)
          AND e.id > coalesce((SELECT max(event_id) FROM dagrun_asset_event WHERE dag_id = $1), 0)
        ORDER BY e.id
        """,
        dag_id, [a.name for a in assets], [a.uri for a in assets],
    )  # fmt: skip
    return [dict(r) for r in rows]


async def create_asset_triggered_run(scheduler: Any, now: dt.datetime) -> str | None:
    """Creates the DAG's next asset-triggered run if unconsumed events satisfy its condition (and max_active_runs
    allows); returns its run_id, or None."""
    from riir_airflow.app.scheduler import new_task_instances

    dag = scheduler.dag
    condition = asset_condition(dag)
    if condition is None:
        return None
    events = await pending_events(scheduler.db, dag.dag_id, condition)
    if not events or not satisfied(condition, {(e["name"], e["uri"]) for e in events}):
        return None
    active = await queries.list_dag_runs(scheduler.db, dag_id=dag.dag_id, states=["queued", "running"], limit=1)
    if active.total_entries >= dag.max_active_runs:
        return None  # the events stay pending until a run finishes
    run_id = f"asset_triggered__{now.isoformat()}"
    try:
        async with app_queries.fenced_transaction(scheduler.db, dag.dag_id, scheduler.fencing_token) as conn:
            run = await queries.create_dag_run(
                conn, dag.dag_id, run_id, run_type="asset_triggered", tasks=new_task_instances(dag),
                run_after=now, state="queued", dag_version_id=scheduler.dag_version_id, triggered_by="asset",
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO dagrun_asset_event (dag_run_id, event_id, dag_id) "
                "SELECT $1, unnest($2::bigint[]), $3 ON CONFLICT DO NOTHING",
                run.id, [e["id"] for e in events], dag.dag_id,
            )  # fmt: skip
    except DagRunAlreadyExists:
        return None  # the same instant twice: the next turn creates it
    log.info("Created %s of %s for %d asset event(s)", run_id, dag.dag_id, len(events))
    return run_id
