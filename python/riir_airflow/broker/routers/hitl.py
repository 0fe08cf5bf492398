"""Human-in-the-loop details: what a waiting HITLOperator asks, and the answer a person gives (Airflow 3.3's
`/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/hitlDetails` and `.../hitlDetails`)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from fastapi import Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import CurrentUser, Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers._common import require_ti, ti_payloads
from riir_airflow.broker.schemas import TaskInstanceHistoryResponse, TaskInstanceResponse
from riir_airflow.metastore import hitl_queries as hq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import TaskInstanceKey

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["Task Instance"])

RUN_PATH = "/dags/{dag_id}/dagRuns/{dag_run_id}"
HITL_PATH = RUN_PATH + "/taskInstances/{task_id}/{map_index}/hitlDetails"


class HITLUser(BaseModel):
    id: str
    name: str


class UpdateHITLDetailPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    chosen_options: list[str] = Field(min_length=1)
    params_input: dict[str, Any] = Field(default_factory=dict)


class HITLDetailResponse(BaseModel):
    responded_by: HITLUser
    responded_at: datetime.datetime
    chosen_options: list[str] = Field(min_length=1)
    params_input: dict[str, Any] = Field(default_factory=dict)


class BaseHITLDetail(BaseModel):
    options: list[str] = Field(min_length=1)
    subject: str
    body: str | None = None
    defaults: list[str] | None = None
    multiple: bool = False
    params: dict[str, Any] = Field(default_factory=dict)
    assigned_users: list[HITLUser] = Field(default_factory=list)
    created_at: datetime.datetime
    responded_by_user: HITLUser | None = None
    responded_at: datetime.datetime | None = None
    chosen_options: list[str] | None = None
    params_input: dict[str, Any] = Field(default_factory=dict)
    response_received: bool = False


class HITLDetail(BaseHITLDetail):
    task_instance: TaskInstanceResponse


class HITLDetailHistory(BaseHITLDetail):
    task_instance: TaskInstanceHistoryResponse


class HITLDetailCollection(BaseModel):
    hitl_details: list[HITLDetail]
    total_entries: int


def _is_param(value: Any) -> bool:
    return isinstance(value, Mapping) and all(key in value for key in ("description", "schema", "value"))


def _detail(row: hq.HITLDetailRow, ti: dict[str, Any]) -> dict[str, Any]:
    return {
        "options": row.options,
        "subject": row.subject,
        "body": row.body,
        "defaults": row.defaults,
        "multiple": row.multiple,
        # As Airflow's BaseHITLDetail.get_params: bare values become {"value", "description", "schema"}.
        "params": {
            k: v if _is_param(v) else {"value": v, "description": None, "schema": {}} for k, v in row.params.items()
        },
        "assigned_users": row.assignees or [],
        "created_at": row.created_at,
        "responded_by_user": row.responded_by,
        "responded_at": row.responded_at,
        "chosen_options": row.chosen_options,
        "params_input": row.params_input,
        "response_received": row.response_received,
        "task_instance": ti,
    }


async def _require_detail(pool: Any, dag_id: str, run_id: str, task_id: str, map_index: int) -> Any:
    ti = await require_ti(pool, dag_id, run_id, task_id, map_index)
    row = await hq.get_detail(pool, TaskInstanceKey(dag_id, run_id, task_id, map_index))
    if row is None:
        raise HTTPException(404, f"Human-in-the-loop detail does not exist for Task Instance with id {ti.id}")
    return ti, row


@router.patch(HITL_PATH, response_model=HITLDetailResponse)
async def update_hitl_detail(
    pool: Pool,
    user: CurrentUser,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: int,
    body: UpdateHITLDetailPayload,
) -> dict[str, Any]:
    """A person's answer; a task waiting for it resumes."""
    key = TaskInstanceKey(dag_id, dag_run_id, task_id, map_index)
    try:
        row = await hq.respond(pool, key, body.chosen_options, body.params_input, {"id": user.username,
                                                                                 "name": user.username})  # fmt: skip
    except hq.HITLNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except hq.HITLConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except hq.HITLInvalidResponse as exc:
        raise HTTPException(400, str(exc)) from None
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    return {
        "responded_by": row.responded_by,
        "responded_at": row.responded_at,
        "chosen_options": row.chosen_options,
        "params_input": row.params_input,
    }


@router.get(HITL_PATH, response_model=HITLDetail)
async def get_hitl_detail(pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: int) -> dict[str, Any]:
    ti, row = await _require_detail(pool, dag_id, dag_run_id, task_id, map_index)
    return _detail(row, (await ti_payloads(pool, [ti]))[0])


@router.get(HITL_PATH + "/tries/{try_number}", response_model=HITLDetailHistory)
async def get_hitl_detail_try_detail(
    pool: Pool, dag_id: str, dag_run_id: str, task_id: str, map_index: int, try_number: int
) -> dict[str, Any]:
    ti, row = await _require_detail(pool, dag_id, dag_run_id, task_id, map_index)
    tries = [t for t in await q.list_task_instance_tries(pool, ti.key) if t.try_number == try_number]
    source = tries[0] if tries else ti
    payload = (await ti_payloads(pool, [source]))[0]
    payload.setdefault("task_instance_id", str(ti.id))
    return _detail(row, payload)


@router.get(RUN_PATH + "/hitlDetails", response_model=HITLDetailCollection)
async def get_hitl_details(
    pool: Pool,
    page: Page,
    dag_id: str,
    dag_run_id: str,
    task_id: str | None = None,
    response_received: bool | None = None,
) -> dict[str, Any]:
    rows, total = await hq.list_details(
        pool,
        dag_id=None if dag_id == "~" else dag_id,
        run_id=None if dag_run_id == "~" else dag_run_id,
        task_id=task_id,
        response_received=response_received,
        limit=page.limit,
        offset=page.offset,
    )
    tis = [await require_ti(pool, r.dag_id, r.run_id, r.task_id, r.map_index) for r in rows]
    payloads = await ti_payloads(pool, tis)
    return {"hitl_details": [_detail(r, p) for r, p in zip(rows, payloads, strict=True)], "total_entries": total}
