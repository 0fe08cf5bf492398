"""`.../taskInstances/{task_id}/state-store[/{key}]`: Airflow 3.3's task state store of one task instance (the
values its tries keep with `context["task_state_store"]`), listed, read, set, changed and deleted as Airflow does.
Writes need the task instance to exist (404 otherwise); a PUT without `expires_at` keeps the value for
`[state_store] default_retention_days` (0: forever)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Response

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Config, Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import (
    TaskStateStoreBody,
    TaskStateStoreCollectionResponse,
    TaskStateStorePatchBody,
    TaskStateStoreResponse,
)
from riir_airflow.config import AirflowConfigParser
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import task_state_queries as tsq
from riir_airflow.metastore.records import TaskInstanceKey

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["Task State Store"])

STORE = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/state-store"
MapIndex = Annotated[int, Query(ge=-1)]


async def _require_ti(pool: Pool, ti: TaskInstanceKey, *, any_index: bool = False) -> None:
    found = await aq.list_tis_filtered(pool, dag_id=ti.dag_id, run_id=ti.run_id, task_ids=[ti.task_id],
                                       map_index=None if any_index else ti.map_index, limit=1)  # fmt: skip
    if not found.items:
        addressed_by = "all_map_indices=True" if any_index else f"map_index={ti.map_index}"
        raise HTTPException(404, f"Task instance not found for dag_id={ti.dag_id!r}, run_id={ti.run_id!r}, "
                                 f"task_id={ti.task_id!r}, {addressed_by}")  # fmt: skip


def _expires_at(config: AirflowConfigParser, value: datetime.datetime | str | None) -> datetime.datetime | None:
    if value != "default":
        return value if isinstance(value, datetime.datetime) else None
    days = config.getint("state_store", "default_retention_days", fallback=30)
    if days < 0:
        raise HTTPException(400, f"[state_store] default_retention_days must be >= 0, got {days}. Set to 0 to "
                                 "disable expiry.")  # fmt: skip
    return None if days == 0 else datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)


def _not_found(key: str) -> HTTPException:
    return HTTPException(404, f"Task state store key {key!r} not found")


@router.get(STORE, response_model=TaskStateStoreCollectionResponse)
async def list_task_state_store(
    pool: Pool, page: Page, dag_id: str, dag_run_id: str, task_id: str, map_index: MapIndex = -1
) -> dict[str, Any]:
    ti = TaskInstanceKey(dag_id, dag_run_id, task_id, map_index)
    entries, total = await tsq.list_entries(pool, ti, page.limit, page.offset)
    return {"task_state_store": entries, "total_entries": total}


@router.delete(STORE, status_code=204, response_class=Response)
async def clear_task_state_store(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: MapIndex = -1, all_map_indices: bool = False
) -> Response:
    """Every key of the task instance; with `all_map_indices`, of every map index of the task."""
    ti = TaskInstanceKey(dag_id, dag_run_id, task_id, map_index)
    await _require_ti(pool, ti, any_index=all_map_indices)
    await tsq.clear(pool, ti, all_map_indices=all_map_indices)
    return Response(status_code=204)


@router.get(STORE + "/{key:path}", response_model=TaskStateStoreResponse)
async def get_task_state_store(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, key: str, map_index: MapIndex = -1
) -> dict[str, Any]:
    entry = await tsq.get_entry(pool, TaskInstanceKey(dag_id, dag_run_id, task_id, map_index), key)
    if entry is None:
        raise _not_found(key)
    return entry


@router.put(STORE + "/{key:path}", status_code=204, response_class=Response)
async def set_task_state_store(
    pool: Pool,
    config: Config,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    key: str,
    body: TaskStateStoreBody,
    map_index: MapIndex = -1,
) -> Response:
    """Creates or overwrites the key."""
    ti = TaskInstanceKey(dag_id, dag_run_id, task_id, map_index)
    await _require_ti(pool, ti)
    await tsq.set_entry(pool, ti, key, body.value, _expires_at(config, body.expires_at))
    return Response(status_code=204)


@router.patch(STORE + "/{key:path}", response_model=None)
async def patch_task_state_store(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, key: str, body: TaskStateStorePatchBody,
    map_index: MapIndex = -1,
) -> None:  # fmt: skip
    """Changes the value of an existing key (its expiry stays); Airflow answers 200 with no body."""
    ti = TaskInstanceKey(dag_id, dag_run_id, task_id, map_index)
    await _require_ti(pool, ti)
    if not await tsq.update_value(pool, ti, key, body.value):
        raise _not_found(key)


@router.delete(STORE + "/{key:path}", status_code=204, response_class=Response)
async def delete_task_state_store(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, key: str, map_index: MapIndex = -1
) -> Response:
    """Deletes the key; a key that does not exist is no error."""
    ti = TaskInstanceKey(dag_id, dag_run_id, task_id, map_index)
    await _require_ti(pool, ti)
    await tsq.delete_entry(pool, ti, key)
    return Response(status_code=204)
