"""XCom entries of a task instance (JSON values)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException, Response

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, Paging, Pool, ReadConn, requires
from riir_airflow.broker.json_body import json_body
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers._common import require_run, require_ti
from riir_airflow.broker.schemas import XComCollectionResponse, XComCreateBody, XComResponseNative, XComUpdateBody
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.queries import Db
from riir_airflow.metastore.records import TaskInstanceKey

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["XCom"])

BASE = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries"


def _shape(row: dict[str, Any], with_value: bool) -> dict[str, Any]:
    """A row of `list_xcoms_filtered` in the API's shape."""
    name = row["riir_dag_display_name"]
    out = {
        "key": row["key"],
        "timestamp": row["timestamp"],
        "logical_date": row["riir_run_logical_date"],
        "map_index": row["map_index"],
        "task_id": row["task_id"],
        "dag_id": row["dag_id"],
        "run_id": row["run_id"],
        "dag_display_name": row["dag_id"] if name is None else name,
        "task_display_name": row["task_id"],
        "run_after": row["riir_run_after"] or row["timestamp"],
    }
    if with_value:
        out["value"] = row["value"]
    return out


async def _one(pool: Any, dag_id: str, run_id: str, task_id: str, key: str, map_index: int) -> dict[str, Any]:
    rows, _ = await aq.list_xcoms_filtered(
        pool, dag_id=dag_id, run_id=run_id, task_id=task_id, key=key, map_index=map_index, limit=1, offset=0
    )
    if not rows:
        raise HTTPException(404, f"XCom entry with key: `{key}` not found")
    return _shape(rows[0], True)


@router.get(BASE, response_model=XComCollectionResponse)
async def get_xcom_entries(
    pool: ReadConn, page: Page, dag_id: str, dag_run_id: str, task_id: str, xcom_key: str | None = None,
    map_index: int | None = None,
) -> Response:  # fmt: skip
    return json_body(await xcom_entries(pool, page, dag_id, dag_run_id, task_id, xcom_key, map_index))


async def xcom_entries(
    pool: Db, page: Paging, dag_id: str, dag_run_id: str, task_id: str, xcom_key: str | None = None,
    map_index: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The listing's payload (also the UI's XCom page)."""
    rows, total = await aq.list_xcoms_filtered(
        pool,
        dag_id=None if dag_id == "~" else dag_id,
        run_id=None if dag_run_id == "~" else dag_run_id,
        task_id=None if task_id == "~" else task_id,
        key=xcom_key,
        map_index=map_index,
        limit=page.limit,
        offset=page.offset,
    )
    return {"xcom_entries": [_shape(row, False) for row in rows], "total_entries": total}


@router.get(BASE + "/{xcom_key}", response_model=XComResponseNative)
async def get_xcom_entry(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, xcom_key: str, map_index: int = -1,
    deserialize: bool = False, stringify: bool = False,
) -> dict[str, Any]:  # fmt: skip
    entry = await _one(pool, dag_id, dag_run_id, task_id, xcom_key, map_index)
    if stringify:
        entry["value"] = str(entry["value"])
    return entry


@router.post(BASE, response_model=XComResponseNative, status_code=201)
async def create_xcom_entry(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, body: XComCreateBody
) -> dict[str, Any]:
    await require_run(pool, dag_id, dag_run_id)
    await require_ti(pool, dag_id, dag_run_id, task_id, body.map_index)
    key = TaskInstanceKey(dag_id, dag_run_id, task_id, body.map_index)
    if await q.get_xcom(pool, key, body.key) is not None:
        raise HTTPException(409, f"The XCom with key: `{body.key}` with mentioned task instance already exists.")
    await q.set_xcom(pool, key, body.key, body.value)
    return await _one(pool, dag_id, dag_run_id, task_id, body.key, body.map_index)


@router.patch(BASE + "/{xcom_key}", response_model=XComResponseNative)
async def update_xcom_entry(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, xcom_key: str, body: XComUpdateBody
) -> dict[str, Any]:
    key = TaskInstanceKey(dag_id, dag_run_id, task_id, body.map_index)
    if await q.get_xcom(pool, key, xcom_key) is None:
        raise HTTPException(404, f"The XCom with key: `{xcom_key}` with mentioned task instance doesn't exist.")
    await q.set_xcom(pool, key, xcom_key, body.value)
    return await _one(pool, dag_id, dag_run_id, task_id, xcom_key, body.map_index)


@router.delete(BASE + "/{xcom_key}", status_code=204)
async def delete_xcom_entry(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, xcom_key: str, map_index: int = -1
) -> None:
    if not await aq.delete_xcom(pool, dag_id, dag_run_id, task_id, map_index, xcom_key):
        raise HTTPException(404, f"The XCom with key: `{xcom_key}` with mentioned task instance doesn't exist.")
