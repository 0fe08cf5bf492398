"""Task instances: list (one run or `~`), get, tries, mapped, dependencies, patch state (one, a task group, bulk),
clear, delete, batch list, logs."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import CurrentUser, Page, Pool, ReadConn, order_by_param, requires
from riir_airflow.broker.json_body import NO_CURSORS, json_body
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers._common import (
    display_name,
    require_dag,
    require_run,
    require_ti,
    ti_payloads,
    ti_row_payloads,
)
from riir_airflow.broker.routers._common import ranges as to_ranges
from riir_airflow.broker.schemas import (
    BulkBody_BulkTaskInstanceBody_,
    BulkResponse,
    ClearTaskInstancesBody,
    ExternalLogUrlResponse,
    PatchTaskInstanceBody,
    TaskDependencyCollectionResponse,
    TaskInstanceCollectionResponse,
    TaskInstanceHistoryCollectionResponse,
    TaskInstanceHistoryResponse,
    TaskInstanceResponse,
    TaskInstancesBatchBody,
    TaskInstancesLogResponse,
)
from riir_airflow.broker.views import serialized_tasks
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import clear_queries, ti_dependency_queries
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.queries import Db
from riir_airflow.metastore.records import DagRunRecord, TaskInstanceKey

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["Task Instance"])

RUN_PATH = "/dags/{dag_id}/dagRuns/{dag_run_id}"
TI_PATH = RUN_PATH + "/taskInstances/{task_id}"
DateQ = Annotated[datetime.datetime | None, Query()]
FloatQ = Annotated[float | None, Query()]
TI_STATES = ("removed", "scheduled", "queued", "running", "success", "restarting", "failed", "up_for_retry",
             "up_for_reschedule", "upstream_failed", "skipped", "deferred", "awaiting_input")  # fmt: skip
LOG_PAGE = 1000


def _states(values: list[str] | None) -> list[str | None]:
    out: list[str | None] = []
    for value in values or ():
        if value in ("none", "null", "no_status"):
            out.append(None)
        elif value in TI_STATES:
            out.append(value)
        else:
            raise HTTPException(422, f"Invalid value for state. Valid values are {', '.join(TI_STATES)}")
    return out


@router.get(RUN_PATH + "/taskInstances", response_model=TaskInstanceCollectionResponse)
async def get_task_instances(
    pool: ReadConn,
    page: Page,
    dag_id: str,
    dag_run_id: str,
    order_by: Annotated[list[str], Depends(order_by_param("map_index"))],
    task_id: str | None = None,
    task_display_name_pattern: str | None = None,
    state: Annotated[list[str] | None, Query()] = None,
    pool_: Annotated[list[str] | None, Query(alias="pool")] = None,
    queue: Annotated[list[str] | None, Query()] = None,
    map_index: Annotated[list[int] | None, Query()] = None,
    logical_date_gte: DateQ = None,
    logical_date_lte: DateQ = None,
    start_date_gte: DateQ = None,
    start_date_lte: DateQ = None,
    end_date_gte: DateQ = None,
    end_date_lte: DateQ = None,
    duration_gte: FloatQ = None,
    duration_lte: FloatQ = None,
) -> Response:
    dag_name, run = await _dag_name_and_run(pool, dag_id, dag_run_id)
    dates = {k: v for k, v in locals().items() if k.startswith(("start_date_", "end_date_", "duration_"))}
    result = await aq.list_tis_filtered(
        pool,
        dag_id=None if dag_id == "~" else dag_id,
        run_id=None if dag_run_id == "~" else dag_run_id,
        task_ids=[task_id] if task_id else (),
        task_id_pattern=task_display_name_pattern,
        map_index=map_index[0] if map_index and len(map_index) == 1 else None,
        states=_states(state),
        pools=pool_ or (),
        queues=queue or (),
        ranges=to_ranges(dates, {}),
        order_by=order_by,
        limit=page.limit,
        offset=page.offset,
        with_versions=True,
    )
    tis = await ti_row_payloads(pool, result.rows, dag_name=dag_name, run=run, versions=result.versions)
    return json_body({"task_instances": tis, "total_entries": result.total_entries, **NO_CURSORS})


async def _dag_name_and_run(db: Db, dag_id: str, run_id: str) -> tuple[str | None, DagRunRecord | None]:
    """The listing's DAG display name and run (None for `~`), or 404 for a DAG or run that does not exist."""
    if dag_id != "~" and run_id != "~":
        name, run = await aq.dag_name_and_run(db, dag_id, run_id)  # both in one round trip
        if name is None:
            await require_dag(db, dag_id)  # raises its 404
        if run is None:
            await require_run(db, dag_id, run_id)  # raises its 404
        return name, run
    dag = await require_dag(db, dag_id) if dag_id != "~" else None
    run = await require_run(db, dag_id, run_id) if run_id != "~" else None
    return (display_name(dag) if dag else None), run


@router.get(TI_PATH, response_model=TaskInstanceResponse)
async def get_task_instance(pool: Pool, dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    ti = await require_ti(pool, dag_id, dag_run_id, task_id, -1)
    return (await ti_payloads(pool, [ti]))[0]


@router.get(TI_PATH + "/links")
async def get_extra_links(pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: int = -1) -> Any:
    """The operator's extra links for a task instance: each link's URL is the XCom its task stored under the link's
    key when the try ended (as Airflow's XComOperatorLink reads it); None for a link with no URL yet."""
    ti = await q.get_task_instance(pool, TaskInstanceKey(dag_id, dag_run_id, task_id, map_index))
    if ti is None:
        raise HTTPException(404, "TaskInstance not found")
    version = None  # the DAG version the task instance ran with, else the latest
    if ti.dag_version_id is not None and (
        known := (await aq.versions_by_id(pool, [ti.dag_version_id])).get(ti.dag_version_id)
    ):
        version = await q.get_dag_version(pool, dag_id, known.version_number)
    if version is None:
        version = (await aq.latest_versions(pool, [dag_id])).get(dag_id)
    task = next((t for t in serialized_tasks(version.data if version else None) if t.get("task_id") == task_id), None)
    if task is None:
        raise HTTPException(404, f"Task with ID = {task_id} not found")
    links: dict[str, str | None] = {}
    for name, xcom_key in sorted(dict(task.get("extra_links") or {}).items()):
        rows, _ = await aq.list_xcoms_filtered(
            pool, dag_id=dag_id, run_id=dag_run_id, task_id=task_id, key=xcom_key, map_index=map_index, limit=1,
            offset=0,
        )  # fmt: skip
        value = rows[0]["value"] if rows else None
        links[name] = str(value) if value else None
    return {"extra_links": links, "total_entries": len(links)}


@router.get(TI_PATH + "/listMapped", response_model=TaskInstanceCollectionResponse)
async def get_mapped_task_instances(
    pool: Pool,
    page: Page,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    order_by: Annotated[list[str], Depends(order_by_param("map_index"))],
    state: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    await require_run(pool, dag_id, dag_run_id)
    result = await aq.list_tis_filtered(
        pool, dag_id=dag_id, run_id=dag_run_id, task_ids=[task_id], mapped_only=True, states=_states(state),
        order_by=order_by, limit=page.limit, offset=page.offset,
    )  # fmt: skip
    if result.total_entries == 0:
        exists = await aq.list_tis_filtered(pool, dag_id=dag_id, run_id=dag_run_id, task_ids=[task_id], limit=1)
        if not exists.items:
            raise HTTPException(404, f"Task id {task_id} not found")
    return {"task_instances": await ti_payloads(pool, result.items), "total_entries": result.total_entries}


async def _tries(pool: Any, dag_id: str, dag_run_id: str, task_id: str, map_index: int) -> list[dict[str, Any]]:
    ti = await require_ti(pool, dag_id, dag_run_id, task_id, map_index)
    history = await q.list_task_instance_tries(pool, TaskInstanceKey(dag_id, dag_run_id, task_id, map_index))
    done = {h.try_number for h in history}
    items: list[Any] = list(history)
    if ti.try_number > 0 and ti.try_number not in done:
        items.append(ti)  # the current try, still running or not yet archived
    return await ti_payloads(pool, items)


@router.get(TI_PATH + "/tries", response_model=TaskInstanceHistoryCollectionResponse)
async def get_task_instance_tries(pool: Pool, dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    tries = await _tries(pool, dag_id, dag_run_id, task_id, -1)
    return {"task_instances": tries, "total_entries": len(tries)}


@router.get(TI_PATH + "/{map_index}/tries", response_model=TaskInstanceHistoryCollectionResponse)
async def get_mapped_task_instance_tries(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: int
) -> dict[str, Any]:
    tries = await _tries(pool, dag_id, dag_run_id, task_id, map_index)
    return {"task_instances": tries, "total_entries": len(tries)}


@router.get(TI_PATH + "/tries/{task_try_number}", response_model=TaskInstanceHistoryResponse)
async def get_task_instance_try_details(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, task_try_number: int, map_index: int = -1
) -> dict[str, Any]:
    for item in await _tries(pool, dag_id, dag_run_id, task_id, map_index):
        if item["try_number"] == task_try_number:
            return item
    raise HTTPException(
        404,
        f"The Task Instance with dag_id: `{dag_id}`, run_id: `{dag_run_id}`, task_id: `{task_id}`, "
        f"try_number: `{task_try_number}` and map_index: `{map_index}` was not found",
    )


@router.get(TI_PATH + "/{map_index}/tries/{task_try_number}", response_model=TaskInstanceHistoryResponse)
async def get_mapped_task_instance_try_details(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: int, task_try_number: int
) -> dict[str, Any]:
    return await get_task_instance_try_details(pool, dag_id, dag_run_id, task_id, task_try_number, map_index)


async def _dependencies(pool: Any, dag_id: str, dag_run_id: str, task_id: str, map_index: int) -> dict[str, Any]:
    ti = await require_ti(pool, dag_id, dag_run_id, task_id, map_index)
    version = (await aq.versions_by_id(pool, [ti.dag_version_id])).get(ti.dag_version_id) if ti.dag_version_id else None
    if version is None:
        version = (await aq.latest_versions(pool, [dag_id])).get(dag_id)
    task = next((t for t in serialized_tasks(version.data if version else None) if t.get("task_id") == task_id), None)
    return {"dependencies": await ti_dependency_queries.failed_dependencies(pool, ti, task)}


@router.get(TI_PATH + "/dependencies", response_model=TaskDependencyCollectionResponse)
async def get_task_instance_dependencies(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: int = -1
) -> dict[str, Any]:
    """What keeps a task instance that waits to be queued from being queued (an empty list for any other state)."""
    return await _dependencies(pool, dag_id, dag_run_id, task_id, map_index)


@router.get(TI_PATH + "/{map_index}/dependencies", response_model=TaskDependencyCollectionResponse)
async def get_task_instance_dependencies_by_map_index(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: int
) -> dict[str, Any]:
    return await _dependencies(pool, dag_id, dag_run_id, task_id, map_index)


@router.get(TI_PATH + "/externalLogUrl/{try_number}", response_model=ExternalLogUrlResponse)
async def get_external_log_url(
    dag_id: str, dag_run_id: str, task_id: str, try_number: Annotated[int, Path(gt=0)], map_index: int = -1
) -> dict[str, Any]:
    """riir-airflow keeps task logs in the metastore and shows them itself: like an Airflow whose log handler links
    to no external log viewer, this always answers 400."""
    raise HTTPException(400, "Task log handler does not support external logs.")


@router.delete(TI_PATH, response_model=None)
async def delete_task_instance(pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: int = -1) -> None:
    """Deletes the task instance with its tries, XComs and logs (Airflow answers 200 with no body)."""
    await require_ti(pool, dag_id, dag_run_id, task_id, map_index)
    await aq.delete_task_instance(pool, dag_id, dag_run_id, task_id, map_index)


@router.get(TI_PATH + "/{map_index}", response_model=TaskInstanceResponse)
async def get_mapped_task_instance(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: int
) -> dict[str, Any]:
    ti = await require_ti(pool, dag_id, dag_run_id, task_id, map_index)
    return (await ti_payloads(pool, [ti]))[0]


async def _patch(
    pool: Any,
    user: Any,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: int | None,
    body: PatchTaskInstanceBody,
    update_mask: list[str] | None,
) -> dict[str, Any]:
    await require_dag(pool, dag_id)
    await require_run(pool, dag_id, dag_run_id)
    ti = await require_ti(pool, dag_id, dag_run_id, task_id, -1 if map_index is None else map_index)
    fields = set(update_mask) if update_mask else body.model_fields_set
    for field in fields:
        if field not in ("new_state", "note", "include_upstream", "include_downstream", "include_future",
                         "include_past"):  # fmt: skip
            raise HTTPException(400, f"Invalid field `{field}` in update mask")
    if "new_state" in fields and body.new_state is not None:
        if body.new_state not in ("success", "failed", "skipped"):
            raise HTTPException(422, "new_state must be one of success, failed, skipped")
        await _mark(pool, dag_id, dag_run_id, task_id, map_index, body, dry_run=False)
        await q.record_event(pool, f"ti_set_{body.new_state}", dag_id=dag_id, run_id=dag_run_id, task_id=task_id,
                             owner=user.username)  # fmt: skip
    if "note" in fields:
        await aq.set_ti_note(pool, dag_id, dag_run_id, task_id, ti.map_index, body.note)
    ti = await require_ti(pool, dag_id, dag_run_id, task_id, ti.map_index)
    return {"task_instances": await ti_payloads(pool, [ti]), "total_entries": 1}


async def _mark(
    pool: Any,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: int | None,
    body: PatchTaskInstanceBody,
    *,
    dry_run: bool,
) -> list[Any]:
    """Marks the task instance and, per the body's include_* options, its relatives in this and other runs."""
    assert body.new_state is not None
    try:
        return await clear_queries.mark(
            pool, dag_id, dag_run_id, task_id, str(body.new_state), map_index=map_index,
            upstream=body.include_upstream, downstream=body.include_downstream, past=body.include_past,
            future=body.include_future, dry_run=dry_run,
        )  # fmt: skip
    except clear_queries.ClearError as exc:
        raise HTTPException(400, str(exc)) from None


async def _patch_dry_run(
    pool: Any, dag_id: str, dag_run_id: str, task_id: str, map_index: int | None, body: PatchTaskInstanceBody
) -> dict[str, Any]:
    await require_dag(pool, dag_id)
    await require_run(pool, dag_id, dag_run_id)
    await require_ti(pool, dag_id, dag_run_id, task_id, -1 if map_index is None else map_index)
    if body.new_state is None:
        return {"task_instances": [], "total_entries": 0}
    if body.new_state not in ("success", "failed", "skipped"):
        raise HTTPException(422, "new_state must be one of success, failed, skipped")
    would = await _mark(pool, dag_id, dag_run_id, task_id, map_index, body, dry_run=True)
    return {"task_instances": await ti_payloads(pool, would), "total_entries": len(would)}


@router.patch(TI_PATH + "/dry_run", response_model=TaskInstanceCollectionResponse)
async def patch_task_instance_dry_run(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, body: PatchTaskInstanceBody, map_index: int | None = None
) -> dict[str, Any]:
    return await _patch_dry_run(pool, dag_id, dag_run_id, task_id, map_index, body)


@router.patch(TI_PATH + "/{map_index}/dry_run", response_model=TaskInstanceCollectionResponse)
async def patch_mapped_task_instance_dry_run(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: int, body: PatchTaskInstanceBody
) -> dict[str, Any]:
    return await _patch_dry_run(pool, dag_id, dag_run_id, task_id, map_index, body)


async def _group_task_ids(pool: Any, dag_id: str, dag_run_id: str, group_id: str) -> list[str]:
    """The tasks of a task group (nested groups included) in the DAG's latest version, as Airflow looks them up."""
    await require_dag(pool, dag_id)
    await require_run(pool, dag_id, dag_run_id)
    latest = (await aq.latest_versions(pool, [dag_id])).get(dag_id)
    group = _find_group(latest.data.get("task_group") if latest and isinstance(latest.data, dict) else None, group_id)
    if group is None:
        raise HTTPException(404, f"Task group '{group_id}' not found in DAG '{dag_id}'")
    return sorted(_group_tasks(group))


def _find_group(node: Any, group_id: str) -> dict[str, Any] | None:
    if not isinstance(node, dict):
        return None
    if node.get("group_id") == group_id and group_id:
        return node
    for child in node.get("children") or ():
        if found := _find_group(child, group_id):
            return found
    return None


def _group_tasks(group: dict[str, Any]) -> set[str]:
    tasks: set[str] = set()
    for child in group.get("children") or ():
        tasks |= _group_tasks(child) if isinstance(child, dict) else {str(child)}
    return tasks


async def _group_tis(pool: Any, dag_id: str, dag_run_id: str, task_ids: list[str]) -> list[Any]:
    tis = await aq.list_tis_filtered(pool, dag_id=dag_id, run_id=dag_run_id, task_ids=task_ids,
                                     order_by=["task_id", "map_index"], limit=100_000)  # fmt: skip
    return tis.items


async def _mark_group(
    pool: Any, dag_id: str, dag_run_id: str, task_ids: list[str], body: PatchTaskInstanceBody, *, dry_run: bool
) -> list[Any]:
    marked: dict[Any, Any] = {}
    for task_id in task_ids:
        for ti in await _mark(pool, dag_id, dag_run_id, task_id, None, body, dry_run=dry_run):
            marked[ti.id] = ti
    return list(marked.values())


@router.patch(RUN_PATH + "/taskGroupInstances/{group_id}", response_model=TaskInstanceCollectionResponse)
async def patch_task_group_instances(
    pool: Pool,
    user: CurrentUser,
    dag_id: str,
    dag_run_id: str,
    group_id: str,
    body: PatchTaskInstanceBody,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """Sets the note and/or the state of every task instance of a task group (and per include_*, their relatives)."""
    task_ids = await _group_task_ids(pool, dag_id, dag_run_id, group_id)
    tis = await _group_tis(pool, dag_id, dag_run_id, task_ids)
    if not tis:
        raise HTTPException(404, f"No task instances found for task group '{group_id}' in dag run '{dag_run_id}'")
    fields = set(update_mask) if update_mask else body.model_fields_set
    for field in fields:
        if field not in ("new_state", "note", "include_upstream", "include_downstream", "include_future",
                         "include_past"):  # fmt: skip
            raise HTTPException(400, f"Invalid field `{field}` in update mask")
    if "note" in fields:
        for ti in tis:
            await aq.set_ti_note(pool, dag_id, dag_run_id, ti.task_id, ti.map_index, body.note)
    if "new_state" in fields and body.new_state is not None:
        if body.new_state not in ("success", "failed", "skipped"):
            raise HTTPException(422, "new_state must be one of success, failed, skipped")
        marked = await _mark_group(pool, dag_id, dag_run_id, task_ids, body, dry_run=False)
        if not marked:
            raise HTTPException(409, f"All task instances in the group are already in {body.new_state} state")
        await q.record_event(pool, f"ti_set_{body.new_state}", dag_id=dag_id, run_id=dag_run_id, owner=user.username,
                             extra={"task_group": group_id})  # fmt: skip
        tis = marked
    fresh = [await require_ti(pool, t.dag_id, t.run_id, t.task_id, t.map_index) for t in tis]
    return {"task_instances": await ti_payloads(pool, fresh), "total_entries": len(fresh)}


@router.patch(RUN_PATH + "/taskGroupInstances/{group_id}/dry_run", response_model=TaskInstanceCollectionResponse)
async def patch_task_group_instances_dry_run(
    pool: Pool, dag_id: str, dag_run_id: str, group_id: str, body: PatchTaskInstanceBody
) -> dict[str, Any]:
    task_ids = await _group_task_ids(pool, dag_id, dag_run_id, group_id)
    tis = await _group_tis(pool, dag_id, dag_run_id, task_ids)
    if not tis:
        raise HTTPException(404, f"No task instances found for task group '{group_id}' in dag run '{dag_run_id}'")
    if body.new_state:
        if body.new_state not in ("success", "failed", "skipped"):
            raise HTTPException(422, "new_state must be one of success, failed, skipped")
        tis = await _mark_group(pool, dag_id, dag_run_id, task_ids, body, dry_run=True)
    return {"task_instances": await ti_payloads(pool, tis), "total_entries": len(tis)}


@router.patch(RUN_PATH + "/taskInstances", response_model=BulkResponse)
async def bulk_task_instances(
    pool: Pool, user: CurrentUser, dag_id: str, dag_run_id: str, body: BulkBody_BulkTaskInstanceBody_
) -> dict[str, Any]:
    """Airflow's bulk endpoint: `update` marks each entity as its PATCH would (with its include_* options), `delete`
    deletes; one entity per map index when it names none. `create` answers an error, as in Airflow 3.3."""
    results: dict[str, Any] = {}
    for action in body.actions:
        done: dict[str, Any] = {"success": [], "errors": []}
        results[action.action] = done
        if action.action == "create":
            done["errors"].append({"error": "Task instances bulk create is not supported", "status_code": 405})
            continue
        if action.action == "delete":
            await _bulk_delete(pool, dag_id, dag_run_id, action.entities, action.action_on_non_existence, done)
            continue
        for entity in action.entities:
            assert not isinstance(entity, str)
            d_id, r_id = entity.dag_id or dag_id, entity.dag_run_id or dag_run_id
            if d_id == "~" or r_id == "~":
                done["errors"].append({"error": "When using wildcard in path, dag_id and dag_run_id must be "
                                       f"specified in request body for task_id: {entity.task_id}",
                                       "status_code": 400})  # fmt: skip
                continue
            tis = await aq.list_tis_filtered(pool, dag_id=d_id, run_id=r_id, task_ids=[entity.task_id], limit=100_000)
            indexes = [ti.map_index for ti in tis.items if entity.map_index in (None, ti.map_index)]
            if not indexes:
                if action.action_on_non_existence == "fail":
                    done["errors"].append({"error": f"No task instances found for dag_id: {d_id}, run_id: {r_id}, "
                                           f"task_id: {entity.task_id}", "status_code": 404})  # fmt: skip
                continue
            patch = PatchTaskInstanceBody.model_validate(
                entity.model_dump(exclude={"task_id", "map_index", "dag_id", "dag_run_id"}, exclude_unset=True)
            )
            for index in indexes:
                try:
                    await _patch(pool, user, d_id, r_id, entity.task_id, index, patch, action.update_mask)
                except HTTPException as exc:
                    done["errors"].append({"error": str(exc.detail), "status_code": exc.status_code})
                    continue
                done["success"].append(f"{d_id}.{r_id}.{entity.task_id}[{index}]")
    return results


async def _bulk_delete(
    pool: Any, dag_id: str, dag_run_id: str, entities: list[Any], on_missing: str, done: dict[str, Any]
) -> None:
    """A task id (a string, or an entity without map_index) deletes every map index of the task."""
    for entity in entities:
        task_id, map_index = (entity, None) if isinstance(entity, str) else (entity.task_id, entity.map_index)
        d_id = dag_id if isinstance(entity, str) else entity.dag_id or dag_id
        r_id = dag_run_id if isinstance(entity, str) else entity.dag_run_id or dag_run_id
        if d_id == "~" or r_id == "~":
            done["errors"].append({"error": "When using wildcard in path, dag_id and dag_run_id must be specified in "
                                   f"request body for task_id: {task_id}", "status_code": 400})  # fmt: skip
            continue
        found = await aq.list_tis_filtered(pool, dag_id=d_id, run_id=r_id, task_ids=[task_id], map_index=map_index,
                                           limit=100_000)  # fmt: skip
        if not found.items:
            if on_missing == "fail" and map_index is None:
                done["errors"].append({"error": f"No task instances found for dag_id: {d_id}, run_id: {r_id}, "
                                       f"task_id: {task_id}", "status_code": 404})  # fmt: skip
            elif on_missing == "fail":
                missing = [{"dag_id": d_id, "dag_run_id": r_id, "task_id": task_id, "map_index": map_index}]
                done["errors"].append({"error": f"The task instances with these identifiers: {missing} were not "
                                       "found", "status_code": 404})  # fmt: skip
            continue
        for ti in found.items:
            await aq.delete_task_instance(pool, d_id, r_id, task_id, ti.map_index)
            done["success"].append(f"{d_id}.{r_id}.{task_id}[{ti.map_index}]")


@router.patch(TI_PATH, response_model=TaskInstanceCollectionResponse)
async def patch_task_instance(
    pool: Pool,
    user: CurrentUser,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    body: PatchTaskInstanceBody,
    map_index: int | None = None,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    return await _patch(pool, user, dag_id, dag_run_id, task_id, map_index, body, update_mask)


@router.patch(TI_PATH + "/{map_index}", response_model=TaskInstanceCollectionResponse)
async def patch_task_instance_by_map_index(
    pool: Pool,
    user: CurrentUser,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: int,
    body: PatchTaskInstanceBody,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    return await _patch(pool, user, dag_id, dag_run_id, task_id, map_index, body, update_mask)


@router.post("/dags/{dag_id}/clearTaskInstances", response_model=TaskInstanceCollectionResponse)
async def post_clear_task_instances(pool: Pool, dag_id: str, body: ClearTaskInstancesBody) -> dict[str, Any]:
    await require_dag(pool, dag_id)
    try:
        if body.dag_run_id is not None:
            await require_run(pool, dag_id, body.dag_run_id)
            run_ids = await clear_queries.runs_in_range(
                pool, dag_id, body.dag_run_id, past=body.include_past, future=body.include_future
            )
        else:
            # Airflow's date range; include_past / include_future open it at that end.
            ranges = [("logical_date", ">=", body.start_date)] if body.start_date and not body.include_past else []
            if body.end_date and not body.include_future:
                ranges.append(("logical_date", "<=", body.end_date))
            runs = await aq.list_runs_filtered(pool, dag_ids=[dag_id], ranges=ranges, limit=100_000)
            run_ids = [r.run_id for r in runs.items]
        # Airflow's task_ids: a task id clears every map index, a [task_id, map_index] pair only that index.
        whole = [t for t in body.task_ids or () if isinstance(t, str)]
        pairs = [_map_index_pair(t) for t in body.task_ids or () if not isinstance(t, str)]
        cleared = await clear_queries.clear(
            pool, dag_id, run_ids, task_ids=whole if body.task_ids else None, map_indexes=pairs,
            upstream=body.include_upstream, downstream=body.include_downstream, only_failed=body.only_failed,
            only_running=body.only_running, dry_run=body.dry_run, reset_runs=body.reset_dag_runs,
            follow_markers=False,  # Airflow 3.3.2's REST clear leaves the DAGs an ExternalTaskMarker points at alone
        )  # fmt: skip
    except clear_queries.ClearError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"task_instances": await ti_payloads(pool, cleared), "total_entries": len(cleared)}


def _map_index_pair(item: list[Any]) -> tuple[str, int]:
    if len(item) != 2 or not isinstance(item[0], str) or isinstance(item[1], bool) or not isinstance(item[1], int):
        raise HTTPException(400, f"task_ids: {item!r} is neither a task id nor a [task_id, map_index] pair")
    return item[0], item[1]


@router.post("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/list", response_model=TaskInstanceCollectionResponse)
async def get_task_instances_batch(
    pool: Pool, dag_id: str, dag_run_id: str, body: TaskInstancesBatchBody
) -> dict[str, Any]:
    if dag_id != "~" or dag_run_id != "~":
        raise HTTPException(400, "Only '~' is supported as dag_id and dag_run_id for the batch endpoint")
    dumped = body.model_dump()
    dates = {k: v for k, v in dumped.items() if k.startswith(("start_date_", "end_date_", "duration_"))}
    result = await aq.list_tis_filtered(
        pool,
        task_ids=body.task_ids or (),
        states=list(body.state or ()),
        pools=body.pool or (),
        queues=body.queue or (),
        ranges=to_ranges(dates, {}),
        order_by=[f.strip() for f in (body.order_by or "map_index").split(",") if f.strip()] or ["map_index"],
        limit=body.page_limit,
        offset=body.page_offset,
    )
    items = [t for t in result.items if (not body.dag_ids or t.dag_id in body.dag_ids)
             and (not body.dag_run_ids or t.run_id in body.dag_run_ids)]  # fmt: skip
    return {"task_instances": await ti_payloads(pool, items), "total_entries": result.total_entries}


# --- logs ------------------------------------------------------------------------------------------------------------
def _encode_token(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"end_of_log": False, "log_pos": last_id}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return max(int(data["log_pos"]), 0)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise HTTPException(400, "Bad Signature. Please use only the tokens provided by the API.") from None


@router.get(
    TI_PATH + "/logs/{try_number}",
    response_model=TaskInstancesLogResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def get_log(
    request: Request,
    pool: Pool,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    try_number: int,
    full_content: bool = False,
    map_index: int = -1,
    token: str | None = None,
) -> Response:
    """Log lines of one try; `continuation_token` resumes after the last line returned (follow a running task)."""
    ti = await require_ti(pool, dag_id, dag_run_id, task_id, map_index)
    if try_number < 0 or try_number > ti.try_number:
        raise HTTPException(404, f"TaskInstance {task_id} with try_number {try_number} not found")
    after = _decode_token(token) if token else 0
    limit = 1_000_000 if full_content else LOG_PAGE
    rows = await aq.read_log_page(pool, dag_id, dag_run_id, task_id, map_index, try_number, after, limit)
    last = rows[-1]["id"] if rows else after
    accept = request.headers.get("accept", "application/json")
    if "text/plain" in accept and "application/json" not in accept:
        return PlainTextResponse("\n".join(r["line"] for r in rows))
    content = [{"timestamp": r["timestamp"].isoformat(), "event": r["line"]} for r in rows]
    return JSONResponse({"content": content, "continuation_token": _encode_token(last)})
