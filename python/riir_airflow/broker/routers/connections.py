"""Connections: CRUD and bulk; `POST /connections/test` only when `[core] test_connection = Enabled` (the hook runs
in a child process: broker/connection_test.py)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from riir_airflow.broker import connection_test
from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Config, Page, Pool, requires
from riir_airflow.broker.schemas import (
    BulkBody_ConnectionBody_,
    BulkResponse,
    ConnectionBody,
    ConnectionCollectionResponse,
    ConnectionResponse,
    ConnectionTestResponse,
)
from riir_airflow.metastore import secrets as s
from riir_airflow.metastore.records import ConnectionRecord
from riir_airflow.secrets_masker import redact

router = APIRouter(dependencies=[Depends(requires(Role.OP, Role.OP))], tags=["Connection"])

FIELDS = ("conn_type", "description", "host", "login", "schema", "port", "password", "extra")


def shape(c: ConnectionRecord) -> dict[str, Any]:
    return {"connection_id": c.conn_id, "conn_type": c.conn_type, "description": c.description, "host": c.host,
            "login": c.login, "schema": c.schema, "port": c.port, "password": redact(c.password, "password"),
            "extra": redact_extra(c.extra), "team_name": None}  # fmt: skip


def redact_extra(extra: str | None) -> str | None:
    """Airflow's ConnectionResponse: sensitive fields of the JSON extra hidden; an extra that is not a JSON object
    is hidden whole (it could hold anything)."""
    if not extra:
        return extra
    try:
        parsed = json.loads(extra)
    except ValueError:
        return "***"
    return json.dumps(redact(parsed)) if isinstance(parsed, dict) else "***"


def record(body: ConnectionBody) -> ConnectionRecord:
    return ConnectionRecord(conn_id=body.connection_id, conn_type=body.conn_type, description=body.description,
                            host=body.host, schema=body.schema_, login=body.login, password=body.password,
                            port=body.port, extra=body.extra)  # fmt: skip


def _not_found(conn_id: str) -> HTTPException:
    return HTTPException(404, f"The Connection with connection_id: `{conn_id}` was not found")


@router.get("/connections", response_model=ConnectionCollectionResponse)
async def get_connections(pool: Pool, page: Page, connection_id_pattern: str | None = None) -> dict[str, Any]:
    result = await s.list_connections(pool, limit=page.limit, offset=page.offset)
    items = result.items
    if connection_id_pattern and connection_id_pattern != "~":
        parts = [p.lower() for p in connection_id_pattern.split("|")]
        items = [c for c in items if any(p in c.conn_id.lower() for p in parts)]
        return {"connections": [shape(c) for c in items], "total_entries": len(items)}
    return {"connections": [shape(c) for c in items], "total_entries": result.total_entries}


@router.post("/connections/test", response_model=ConnectionTestResponse)
async def test_connection(pool: Pool, config: Config, body: ConnectionBody) -> dict[str, Any]:
    if (config.get("core", "test_connection", fallback="Disabled") or "").lower().strip() != "enabled":
        raise HTTPException(
            403,
            "Testing connections is disabled in Airflow configuration. Contact your deployment admin to enable it.",
        )
    given = {"schema" if f == "schema_" else f for f in body.model_fields_set}
    stored = await s.get_connection_record(pool, body.connection_id)
    try:
        fields = connection_test.fields_to_test(body.model_dump(by_alias=True), given, stored)
    except connection_test.EndpointChanged as exc:
        raise HTTPException(400, str(exc)) from None
    timeout = config.getfloat("broker", "test_connection_timeout", fallback=connection_test.DEFAULT_TIMEOUT)
    status, message = await connection_test.run_probe(fields, timeout)
    return {"status": status, "message": message}


@router.get("/connections/{connection_id}", response_model=ConnectionResponse)
async def get_connection(pool: Pool, connection_id: str) -> dict[str, Any]:
    found = await s.get_connection_record(pool, connection_id)
    if found is None:
        raise _not_found(connection_id)
    return shape(found)


@router.post("/connections", response_model=ConnectionResponse, status_code=201)
async def post_connection(pool: Pool, body: ConnectionBody) -> dict[str, Any]:
    if await s.get_connection_record(pool, body.connection_id) is not None:
        raise HTTPException(409, f"Connection with connection_id: `{body.connection_id}` already exists")
    await s.set_connection(pool, record(body))
    return await get_connection(pool, body.connection_id)


@router.patch("/connections/{connection_id}", response_model=ConnectionResponse)
async def patch_connection(
    pool: Pool, connection_id: str, body: ConnectionBody, update_mask: Annotated[list[str] | None, Query()] = None
) -> dict[str, Any]:
    if body.connection_id != connection_id:
        raise HTTPException(400, "The connection_id in the request body does not match the URL parameter")
    current = await s.get_connection_record(pool, connection_id)
    if current is None:
        raise _not_found(connection_id)
    new = record(body)
    if update_mask:
        for field in update_mask:
            if field not in FIELDS:
                raise HTTPException(400, f"Invalid field `{field}` in update mask")
        values = {f: getattr(new if f in update_mask else current, f) for f in FIELDS}
        new = ConnectionRecord(conn_id=connection_id, **values)
    await s.set_connection(pool, new)
    return await get_connection(pool, connection_id)


@router.delete("/connections/{connection_id}", status_code=204)
async def delete_connection(pool: Pool, connection_id: str) -> None:
    if not await s.delete_connection(pool, connection_id):
        raise _not_found(connection_id)


@router.patch("/connections", response_model=BulkResponse)
async def bulk_connections(pool: Pool, body: BulkBody_ConnectionBody_) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for action in body.actions:
        result: dict[str, Any] = {"success": [], "errors": []}
        if action.action in ("create", "update"):
            ids = [e.connection_id for e in action.entities]
            exists = {i for i in ids if await s.get_connection_record(pool, i) is not None}
            if action.action == "create" and exists and action.action_on_existence == "fail":
                msg = f"The connections with these connection_ids: {exists} already exist."
                result["errors"].append({"error": msg, "status_code": 409})
            elif action.action == "update" and set(ids) - exists and action.action_on_non_existence == "fail":
                msg = f"The connections with these connection_ids: {set(ids) - exists} were not found."
                result["errors"].append({"error": msg, "status_code": 404})
            else:
                for e in action.entities:
                    skip = e.connection_id in exists if action.action == "create" else e.connection_id not in exists
                    if skip and (action.action == "update" or action.action_on_existence == "skip"):
                        continue
                    await s.set_connection(pool, record(e))
                    result["success"].append(e.connection_id)
        else:
            ids = [e if isinstance(e, str) else e.connection_id for e in action.entities]
            missing = {i for i in ids if await s.get_connection_record(pool, i) is None}
            if missing and getattr(action, "action_on_non_existence", "fail") == "fail":
                msg = f"The connections with these connection_ids: {missing} were not found."
                result["errors"].append({"error": msg, "status_code": 404})
            else:
                for i in ids:
                    if i not in missing:
                        await s.delete_connection(pool, i)
                        result["success"].append(i)
        out[action.action] = result
    return out
