"""`/dags/{dag_id}/dagRuns`: list, get, trigger, patch, clear, delete, batch list, wait.

Triggering only inserts the run row (the insert NOTIFYs `riir_run_created`); the DAG app that serves the DAG
creates its task instances and runs it.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import secrets
import string
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Response
from fastapi.responses import StreamingResponse

from riir_airflow import json_schema
from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import CurrentUser, Page, Pool, ReadConn, order_by_param, requires
from riir_airflow.broker.json_body import NO_CURSORS, json_body
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers._common import ranges as to_ranges
from riir_airflow.broker.routers._common import (
    require_dag,
    require_run,
    run_payloads,
    run_row_payloads,
    ti_payloads,
)
from riir_airflow.broker.schemas import (
    ClearTaskInstanceCollectionResponse,
    DAGRunClearBody,
    DAGRunCollectionResponse,
    DAGRunPatchBody,
    DAGRunResponse,
    DAGRunsBatchBody,
    MaterializeAssetBody,
    TriggerDAGRunPostBody,
)
from riir_airflow.exceptions import AirflowException, DagRunAlreadyExists
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import clear_queries
from riir_airflow.metastore import queries as q
from riir_airflow.schedules.serialized_timetables import encoded_timetable, manual_data_interval
from riir_airflow.states import FINISHED_RUN_STATES

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["DagRun"])

DateQ = Annotated[datetime.datetime | None, Query()]


def _random_suffix() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))


@router.get("/dags/{dag_id}/dagRuns", response_model=DAGRunCollectionResponse)
async def get_dag_runs(
    pool: ReadConn,
    page: Page,
    dag_id: str,
    order_by: Annotated[list[str], Depends(order_by_param("id"))],
    state: Annotated[list[str] | None, Query()] = None,
    run_type: Annotated[list[str] | None, Query()] = None,
    run_id_pattern: str | None = None,
    logical_date_gte: DateQ = None,
    logical_date_gt: DateQ = None,
    logical_date_lte: DateQ = None,
    logical_date_lt: DateQ = None,
    run_after_gte: DateQ = None,
    run_after_gt: DateQ = None,
    run_after_lte: DateQ = None,
    run_after_lt: DateQ = None,
    start_date_gte: DateQ = None,
    start_date_lte: DateQ = None,
    end_date_gte: DateQ = None,
    end_date_lte: DateQ = None,
) -> Response:
    for value in state or ():
        if value not in ("queued", "running", "success", "failed"):
            raise HTTPException(422, "Invalid value for state. Valid values are queued, running, success, failed")
    dates = {k: v for k, v in locals().items() if k.endswith(("_gte", "_gt", "_lte", "_lt"))}
    # The runs' versions and DAG display names are joined to the page: one statement, atomic on its own.
    result = await aq.list_runs_filtered(
        pool,
        dag_ids=None if dag_id == "~" else [dag_id],
        states=state or (),
        run_types=run_type or (),
        ranges=to_ranges(dates, {}),
        run_id_pattern=run_id_pattern,
        order_by=order_by,
        limit=page.limit,
        offset=page.offset,
        joined=True,
    )
    if not result.rows and dag_id != "~":
        await require_dag(pool, dag_id)  # an empty page of a DAG that does not exist is its 404
    runs = await run_row_payloads(pool, result.rows, versions=result.versions, names=result.names)
    return json_body({"dag_runs": runs, "total_entries": result.total_entries, **NO_CURSORS})


@router.get("/dags/{dag_id}/dagRuns/{dag_run_id}", response_model=DAGRunResponse)
async def get_dag_run(pool: Pool, dag_id: str, dag_run_id: str) -> dict[str, Any]:
    run = await require_run(pool, dag_id, dag_run_id)
    return (await run_payloads(pool, [run]))[0]


def _check_conf(params: Any, conf: dict[str, Any]) -> None:
    """A trigger's conf against the DAG's Params, as Airflow's `ParamsDict.validate` at run creation (400 with its
    message). Reads the serialized params (value + schema): the broker never imports the DAG's code."""
    for key, spec in (params or {}).items():
        if isinstance(spec, dict) and "__var" in spec:  # Airflow's {"__class", "__var": {...}} wrapping
            spec = spec["__var"]
        if not isinstance(spec, dict):
            continue
        value = conf.get(key, spec.get("value"))
        schema = spec.get("schema") or {}
        try:
            if key not in conf and value is None and not _accepts_null(schema):
                raise json_schema.SchemaError("No value passed and Param has no default value")
            json_schema.validate(value, schema)
        except json_schema.SchemaError as err:
            raise HTTPException(400, f"Invalid input for param {key}: {err}") from None


def _accepts_null(schema: dict[str, Any]) -> bool:
    try:
        json_schema.validate(None, schema)
    except json_schema.SchemaError:
        return False
    return True


@router.post("/dags/{dag_id}/dagRuns", response_model=DAGRunResponse)
async def trigger_dag_run(pool: Pool, user: CurrentUser, dag_id: str, body: TriggerDAGRunPostBody) -> dict[str, Any]:
    return await create_run(pool, user.username, dag_id, body, "manual")


async def create_run(
    pool: Pool, username: str, dag_id: str, body: TriggerDAGRunPostBody | MaterializeAssetBody, run_type: str
) -> dict[str, Any]:
    """Inserts a queued run of the DAG's latest version as Airflow's trigger does (also for an asset's
    materialization); the DAG's app creates its task instances and runs it."""
    await require_dag(pool, dag_id)
    latest = (await aq.latest_versions(pool, [dag_id])).get(dag_id)
    if latest is None:
        raise HTTPException(404, f"Dag with dag_id: '{dag_id}' not found")
    for name in ("logical_date", "run_after", "data_interval_start", "data_interval_end"):
        value = getattr(body, name)
        if value is not None and value.tzinfo is None:
            raise HTTPException(400, f"{name} must be timezone-aware")
    if (body.data_interval_start is None) != (body.data_interval_end is None):
        raise HTTPException(
            400, "Either both data_interval_start and data_interval_end must be provided or both must be None"
        )
    _check_conf(latest.data.get("params") if isinstance(latest.data, dict) else None, body.conf or {})
    now = datetime.datetime.now(datetime.UTC)
    run_after = body.run_after or now  # Airflow: not the logical date
    run_id = body.dag_run_id
    if not run_id:
        suffix = run_after.isoformat() if body.logical_date else f"{run_after.isoformat()}_{_random_suffix()}"
        run_id = f"{run_type}__{suffix}"
    interval = None  # Airflow: a run without a logical date has no data interval, even when one is given
    if body.logical_date is not None and body.data_interval_start is not None and body.data_interval_end is not None:
        interval = (body.data_interval_start, body.data_interval_end)
    elif body.logical_date is not None:
        # Airflow: dag.timetable.infer_manual_data_interval(run_after=logical_date), from the serialized timetable.
        try:
            interval = manual_data_interval(encoded_timetable(latest.data), body.logical_date)
        except (ValueError, KeyError, TypeError, AirflowException) as exc:
            raise HTTPException(400, f"Cannot compute the data interval of Dag '{dag_id}': {exc}") from None
    try:
        run = await q.create_dag_run(
            pool,
            dag_id,
            run_id,
            run_type=run_type,
            logical_date=body.logical_date,
            data_interval=interval,
            run_after=run_after,
            conf=body.conf or {},
            dag_version_id=latest.id,
            triggered_by="rest_api",
            triggering_user_name=username,
            note=body.note,
        )
    except DagRunAlreadyExists:
        raise HTTPException(
            409,
            f"DAG Run with run_id '{run_id}' or logical_date '{body.logical_date}' already exists for dag '{dag_id}'",
        ) from None
    await q.record_event(pool, "trigger_dag_run", dag_id=dag_id, run_id=run_id, owner=username)
    return (await run_payloads(pool, [run]))[0]


@router.patch("/dags/{dag_id}/dagRuns/{dag_run_id}", response_model=DAGRunResponse)
async def patch_dag_run(
    pool: Pool,
    user: CurrentUser,
    dag_id: str,
    dag_run_id: str,
    body: DAGRunPatchBody,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    await require_dag(pool, dag_id)
    await require_run(pool, dag_id, dag_run_id)
    fields = set(update_mask) if update_mask else body.model_fields_set
    for field in fields:
        if field not in ("state", "note"):
            raise HTTPException(400, f"Invalid field `{field}` in update mask")
    if "state" in fields and body.state is not None:
        # Airflow: success / failed also finish the unfinished task instances; queued only re-queues the run
        # (its app then finishes it again from its task instances; clearing is POST .../clear).
        await aq.mark_run(pool, dag_id, dag_run_id, body.state)
        await q.record_event(pool, f"dagrun_set_{body.state}", dag_id=dag_id, run_id=dag_run_id, owner=user.username)
    if "note" in fields:
        await aq.set_dag_run_note(pool, dag_id, dag_run_id, body.note)
    run = await require_run(pool, dag_id, dag_run_id)
    return (await run_payloads(pool, [run]))[0]


@router.delete("/dags/{dag_id}/dagRuns/{dag_run_id}", status_code=204, response_class=Response)
async def delete_dag_run(pool: Pool, dag_id: str, dag_run_id: str) -> Response:
    await require_run(pool, dag_id, dag_run_id)
    await aq.delete_dag_run(pool, dag_id, dag_run_id)
    return Response(status_code=204)


@router.post(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/clear",
    response_model=ClearTaskInstanceCollectionResponse | DAGRunResponse,
)
async def clear_dag_run(pool: Pool, dag_id: str, dag_run_id: str, body: DAGRunClearBody) -> dict[str, Any]:
    await require_dag(pool, dag_id)
    await require_run(pool, dag_id, dag_run_id)
    try:
        # As Airflow 3.3.2's REST clear: the DAGs an ExternalTaskMarker points at are left alone.
        cleared = await clear_queries.clear(pool, dag_id, [dag_run_id], only_failed=body.only_failed,
                                            dry_run=body.dry_run, follow_markers=False)  # fmt: skip
    except clear_queries.ClearError as exc:
        raise HTTPException(400, str(exc)) from None
    if body.dry_run:
        return {"task_instances": await ti_payloads(pool, cleared), "total_entries": len(cleared)}
    run = await require_run(pool, dag_id, dag_run_id)
    if not cleared:
        await aq.mark_run(pool, dag_id, dag_run_id, "queued")
        run = await require_run(pool, dag_id, dag_run_id)
    return (await run_payloads(pool, [run]))[0]


@router.post("/dags/{dag_id}/dagRuns/list", response_model=DAGRunCollectionResponse)
async def get_list_dag_runs_batch(pool: Pool, dag_id: str, body: DAGRunsBatchBody) -> dict[str, Any]:
    if dag_id != "~":
        raise HTTPException(400, "Only '~' is supported as dag_id for the batch endpoint")
    dumped = body.model_dump()
    dates = {
        k: v for k, v in dumped.items() if k.endswith(("_gte", "_gt", "_lte", "_lt")) and not k.startswith("duration")
    }
    states = [s for s in (body.states or []) if s is not None]
    order = [f.strip() for f in (body.order_by or "id").split(",") if f.strip()] or ["id"]
    result = await aq.list_runs_filtered(
        pool,
        joined=True,
        dag_ids=body.dag_ids,
        states=states,
        ranges=to_ranges(dates, {}),
        order_by=order,
        limit=body.page_limit,
        offset=body.page_offset,
    )
    runs = await run_row_payloads(pool, result.rows, versions=result.versions, names=result.names)
    return {"dag_runs": runs, "total_entries": result.total_entries}


@router.get(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/wait",
    tags=["experimental"],
    responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
)
async def wait_dag_run_until_finished(
    pool: Pool,
    dag_id: str,
    dag_run_id: str,
    interval: Annotated[float, Query(gt=0.0)],
    result: Annotated[list[str] | None, Query()] = None,
) -> StreamingResponse:
    """Airflow's experimental wait: one NDJSON line `{"state": ...}` now and one every `interval` seconds until the
    run finishes; the last line carries `results`, the return values of the `result` tasks (a mapped task's as a
    list). Without `result` Airflow returns the XComs its DAG author marked as the DAG's result; riir-airflow does
    not mark any, so that line then has no `results`."""
    await require_run(pool, dag_id, dag_run_id)
    return StreamingResponse(_wait_lines(pool, dag_id, dag_run_id, interval, result or []),
                             media_type="application/x-ndjson")  # fmt: skip


async def _wait_lines(pool: Pool, dag_id: str, run_id: str, interval: float, task_ids: list[str]) -> AsyncIterator[str]:
    while True:
        run = await require_run(pool, dag_id, run_id)
        line: dict[str, Any] = {"state": run.state}
        finished = run.state in FINISHED_RUN_STATES
        if finished and task_ids and (results := await aq.return_values(pool, dag_id, run_id, task_ids)):
            line["results"] = results
        yield json.dumps(line) + "\n"
        if finished:
            return
        await asyncio.sleep(interval)
