"""Backfills: create (runs planned from the serialized DAG's timetable), dry run, list, get, pause, cancel.

Dates are planned by `schedules.backfill.plan_backfill` (the one backfill planner, also behind `riir-airflow backfill
create`) from the timetable stored in the serialized DAG, so no DAG code is imported; only Airflow's built-in
timetables can be backfilled here.
"""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import Depends, HTTPException

from riir_airflow.broker import views
from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import CurrentUser, Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import (
    BackfillCollectionResponse,
    BackfillPostBody,
    BackfillResponse,
    DryRunBackfillCollectionResponse,
)
from riir_airflow.exceptions import AirflowException, DagRunAlreadyExists
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.queries import Db
from riir_airflow.schedules.backfill import NoBackfillRunsToCreate, plan_backfill
from riir_airflow.schedules.serialized_timetables import encoded_timetable
from riir_airflow.schedules.timetables import BUILTIN_TIMETABLES, decode_timetable

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["Backfill"])


async def _plan(
    pool: Db, body: BackfillPostBody, *, dry_run: bool = False
) -> tuple[Any, list[tuple[datetime.datetime, datetime.datetime, datetime.datetime, str]]]:
    """The DAG's latest version and `(logical_date, run_after, data_interval_end, action)` per planned date.

    Planned by `plan_backfill`, as `riir-airflow backfill create` plans, from the timetable in the serialized DAG:
    only Airflow's built-in timetables are decoded here, so no DAG or plugin code is ever imported."""
    dag = await q.get_dag(pool, body.dag_id)
    if dag is None:
        raise HTTPException(404, f"Could not find dag {body.dag_id}")
    for name in ("from_date", "to_date"):
        if getattr(body, name).tzinfo is None:
            raise HTTPException(400, f"{name} must be timezone-aware")
    latest = (await aq.latest_versions(pool, [body.dag_id])).get(body.dag_id)
    data = latest.data if latest is not None and isinstance(latest.data, dict) else {}
    encoded = encoded_timetable(data)
    if not isinstance(encoded, dict) or str(encoded.get("__type")) not in BUILTIN_TIMETABLES:
        raise HTTPException(422, f"Dag {body.dag_id} has no periodic schedule: it cannot be backfilled")
    listed = data.get("tasks")
    tasks: list[Any] = listed if isinstance(listed, list) else []
    options: dict[str, Any] = {
        "from_date": body.from_date, "to_date": body.to_date, "run_backwards": body.run_backwards,
        "reprocess_behavior": body.reprocess_behavior, "max_active_runs": body.max_active_runs, "dag_id": body.dag_id,
        "depends_on_past": any(isinstance(t, dict) and t.get("depends_on_past") for t in tasks),
    }  # fmt: skip
    try:
        timetable = decode_timetable(encoded)
        dates = [r.logical_date for r in plan_backfill(timetable, **options).runs]
        existing = await aq.existing_run_states(pool, body.dag_id, dates)
        plan = plan_backfill(timetable, existing_runs=existing, **options)
    except NoBackfillRunsToCreate as err:
        if dry_run:  # Airflow's dry run answers an empty list; creating one is a validation error
            return latest, []
        raise HTTPException(422, str(err)) from None
    except (AirflowException, KeyError, TypeError, ValueError) as err:
        raise HTTPException(422, str(err)) from None
    return latest, [
        (run.logical_date, run.run_after, run.data_interval.end if run.data_interval else run.logical_date, run.action)
        for run in plan.runs
    ]


@router.post("/backfills", response_model=BackfillResponse)
async def create_backfill(pool: Pool, user: CurrentUser, body: BackfillPostBody) -> dict[str, Any]:
    latest, plan = await _plan(pool, body)
    if await aq.active_backfill(pool, body.dag_id) is not None:
        raise HTTPException(409, f"There is already a running backfill for dag {body.dag_id}")
    if not any(action in ("create", "clear") for *_, action in plan):
        raise HTTPException(409, "No runs to create for the given backfill: every date already has a run")
    backfill = await q.create_backfill(
        pool, body.dag_id, from_date=body.from_date, to_date=body.to_date, dag_run_conf=body.dag_run_conf or {},
        reprocess_behavior=body.reprocess_behavior, max_active_runs=body.max_active_runs,
        run_backwards=body.run_backwards, triggering_user_name=user.username,
    )  # fmt: skip
    for logical_date, run_after, end, action in plan:
        if action == "create":
            try:
                await q.create_dag_run(
                    pool, body.dag_id, f"backfill__{run_after.isoformat()}", run_type="backfill",
                    logical_date=logical_date, data_interval=(logical_date, end), run_after=run_after,
                    conf=body.dag_run_conf or {}, dag_version_id=latest.id if latest else None,
                    backfill_id=backfill.id, triggered_by="backfill", triggering_user_name=user.username,
                )  # fmt: skip
            except DagRunAlreadyExists:
                continue  # a run appeared meanwhile: it is left as it is
        elif action == "clear":
            runs = await aq.list_runs_filtered(
                pool, dag_ids=[body.dag_id], ranges=[("logical_date", "=", logical_date)]
            )
            await aq.clear_task_instances(pool, body.dag_id, [r.run_id for r in runs.items])
    names = await aq.display_names(pool, [body.dag_id])
    return views.backfill(backfill, names.get(body.dag_id, body.dag_id))


@router.post("/backfills/dry_run", response_model=DryRunBackfillCollectionResponse)
async def create_backfill_dry_run(pool: Pool, body: BackfillPostBody) -> dict[str, Any]:
    _, plan = await _plan(pool, body, dry_run=True)
    items = [{"logical_date": ld, "partition_key": None, "partition_date": None}
             for ld, _, _, action in plan if action in ("create", "clear")]  # fmt: skip
    return {"backfills": items, "total_entries": len(items)}


@router.get("/backfills", response_model=BackfillCollectionResponse)
async def list_backfills(pool: Pool, page: Page, dag_id: str | None = None) -> dict[str, Any]:
    result = await q.list_backfills(pool, dag_id=dag_id, limit=page.limit, offset=page.offset)
    names = await aq.display_names(pool, {b.dag_id for b in result.items})
    return {"backfills": [views.backfill(b, names.get(b.dag_id, b.dag_id)) for b in result.items],
            "total_entries": result.total_entries}  # fmt: skip


async def _get(pool: Db, backfill_id: int) -> Any:
    result = await q.list_backfills(pool, limit=1_000_000)
    for b in result.items:
        if b.id == backfill_id:
            return b
    raise HTTPException(404, f"Could not find backfill with id {backfill_id}")


async def _respond(pool: Db, backfill: Any) -> dict[str, Any]:
    names = await aq.display_names(pool, [backfill.dag_id])
    return views.backfill(backfill, names.get(backfill.dag_id, backfill.dag_id))


@router.get("/backfills/{backfill_id}", response_model=BackfillResponse)
async def get_backfill(pool: Pool, backfill_id: int) -> dict[str, Any]:
    return await _respond(pool, await _get(pool, backfill_id))


async def _change(pool: Db, backfill_id: int, *, is_paused: bool | None = None, cancel: bool = False) -> dict[str, Any]:
    current = await _get(pool, backfill_id)
    if current.completed_at is not None:
        raise HTTPException(409, "Backfill is already completed.")
    updated = await q.update_backfill(pool, backfill_id, is_paused=is_paused, completed=cancel or None)
    if cancel:
        # Runs not started yet are removed from the backfill's queue: they fail without running, as in Airflow.
        runs = await aq.list_runs_filtered(pool, dag_ids=[current.dag_id], states=["queued"], limit=1_000_000)
        for run in runs.items:
            if run.backfill_id == backfill_id:
                await aq.mark_run(pool, run.dag_id, run.run_id, "failed")
    return await _respond(pool, updated)


@router.put("/backfills/{backfill_id}/pause", response_model=BackfillResponse)
async def pause_backfill(pool: Pool, backfill_id: int) -> dict[str, Any]:
    return await _change(pool, backfill_id, is_paused=True)


@router.put("/backfills/{backfill_id}/unpause", response_model=BackfillResponse)
async def unpause_backfill(pool: Pool, backfill_id: int) -> dict[str, Any]:
    return await _change(pool, backfill_id, is_paused=False)


@router.put("/backfills/{backfill_id}/cancel", response_model=BackfillResponse)
async def cancel_backfill(pool: Pool, backfill_id: int) -> dict[str, Any]:
    return await _change(pool, backfill_id, cancel=True)
