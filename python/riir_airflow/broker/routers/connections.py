"""Connections: CRUD and bulk, Airflow's default connections; `POST /connections/test` and the enqueued tests
(`/connections/enqueue-test`) only when `[core] test_connection = Enabled` (the hook runs in a child process:
broker/connection_test.py). An enqueued test runs in the broker that accepted it, right away; its state and
outcome are rows (connection_test_queries.py), so any broker answers the poll."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from riir_airflow.broker import connection_test
from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Config, Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import (
    AsyncConnectionTestResponse,
    BulkBody_ConnectionBody_,
    BulkResponse,
    ConnectionBody,
    ConnectionCollectionResponse,
    ConnectionResponse,
    ConnectionTestRequestBody,
    ConnectionTestResponse,
)
from riir_airflow.config import AirflowConfigParser
from riir_airflow.metastore import connection_test_queries as ctq
from riir_airflow.metastore import secrets as s
from riir_airflow.metastore.default_connections import create_default_connections
from riir_airflow.metastore.records import ConnectionRecord
from riir_airflow.secrets_masker import merge, redact

router = ApiRouter(dependencies=[Depends(requires(Role.OP, Role.OP))], tags=["Connection"])

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


def _require_testing_enabled(config: AirflowConfigParser) -> None:
    if (config.get("core", "test_connection", fallback="Disabled") or "").lower().strip() != "enabled":
        raise HTTPException(
            403,
            "Testing connections is disabled in Airflow configuration. Contact your deployment admin to enable it.",
        )


async def _fields_to_test(pool: Pool, body: ConnectionBody | ConnectionTestRequestBody) -> dict[str, Any]:
    given = {"schema" if f == "schema_" else f for f in body.model_fields_set}
    stored = await s.get_connection_record(pool, body.connection_id)
    try:
        return connection_test.fields_to_test(body.model_dump(by_alias=True), given, stored)
    except connection_test.EndpointChanged as exc:
        raise HTTPException(400, str(exc)) from None


def _test_timeout(config: AirflowConfigParser) -> float:
    return config.getfloat("broker", "test_connection_timeout", fallback=connection_test.DEFAULT_TIMEOUT)


@router.post("/connections/test", response_model=ConnectionTestResponse)
async def test_connection(pool: Pool, config: Config, body: ConnectionBody) -> dict[str, Any]:
    _require_testing_enabled(config)
    fields = await _fields_to_test(pool, body)
    status, message = await connection_test.run_probe(fields, _test_timeout(config))
    return {"status": status, "message": message}


@router.post("/connections/enqueue-test", status_code=202)
async def enqueue_connection_test(
    request: Request, pool: Pool, config: Config, body: ConnectionTestRequestBody
) -> JSONResponse:
    """Accepts the test and answers at once with the token to poll; the test runs in this broker meanwhile."""
    _require_testing_enabled(config)
    if body.executor is not None:
        # riir-airflow has no executors to pick: the broker tests connections itself.
        raise HTTPException(422, f"Executor '{body.executor}' is not configured. Configured executors: []")
    fields = await _fields_to_test(pool, body)
    token = secrets.token_urlsafe(32)
    timeout = _test_timeout(config)
    try:
        row = await ctq.enqueue(pool, token, body.connection_id, body.commit_on_success,
                                abandoned_after=2 * timeout + 60)  # fmt: skip
    except ctq.ActiveTestExists:
        raise HTTPException(409, f"An active connection test already exists for connection_id "
                                 f"`{body.connection_id}`.") from None  # fmt: skip
    running: set[asyncio.Task[None]] = request.app.state.__dict__.setdefault("connection_tests", set())
    task = asyncio.create_task(_run_enqueued(pool, token, body.connection_id, fields, body.commit_on_success, timeout))
    running.add(task)  # held until done: the loop keeps only weak references to tasks
    task.add_done_callback(running.discard)
    return JSONResponse({"token": token, "connection_id": body.connection_id, "state": row["state"]}, status_code=202)


async def _run_enqueued(
    pool: Pool, token: str, connection_id: str, fields: dict[str, Any], commit: bool, timeout: float
) -> None:
    await ctq.set_state(pool, token, "running")
    try:
        status, message = await connection_test.run_probe(fields, timeout)
    except Exception as exc:  # recorded for the poller: a test that cannot run failed
        status, message = False, f"The connection test could not run: {exc}"
    if status and commit:
        values: dict[str, Any] = {k: fields.get(k) for k in FIELDS}
        await s.set_connection(pool, ConnectionRecord(conn_id=connection_id, **values))
    await ctq.set_state(pool, token, "success" if status else "failed", message)


@router.get("/connections/enqueue-test", response_model=AsyncConnectionTestResponse)
async def get_connection_test(
    pool: Pool, token: Annotated[str, Header(alias="Airflow-Connection-Test-Token")]
) -> dict[str, Any]:
    found = await ctq.get(pool, token)
    if found is None:
        raise HTTPException(404, f"No connection test found for token: `{token}`")
    return found


@router.post("/connections/defaults", status_code=204, response_class=Response)
async def post_default_connections(pool: Pool) -> Response:
    await create_default_connections(pool)
    return Response(status_code=204)


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
    """As Airflow's update_orm_from_pydantic: only the fields sent (and in `update_mask`, when given) change, and a
    password or extra entry sent back masked (`***`, as GET answers it) keeps its stored value."""
    if body.connection_id != connection_id:
        raise HTTPException(400, "The connection_id in the request body does not match the URL parameter")
    current = await s.get_connection_record(pool, connection_id)
    if current is None:
        raise _not_found(connection_id)
    for field in update_mask or ():
        if field not in FIELDS and field != "connection_id":
            raise HTTPException(400, f"Invalid field `{field}` in update mask")
    sent = {"schema" if f == "schema_" else f for f in body.model_fields_set}
    changing = sent & set(update_mask) if update_mask else sent
    new = record(body)
    values = {f: getattr(new if f in changing else current, f) for f in FIELDS}
    secrets = set(update_mask) if update_mask else sent  # Airflow: a masked field is set even when not sent
    if "password" in secrets:
        values["password"] = None if body.password is None else merge(body.password, current.password, "password")
    if "extra" in secrets:
        values["extra"] = _merged_extra(body.extra, current.extra)
    await s.set_connection(pool, ConnectionRecord(conn_id=connection_id, **values))
    return await get_connection(pool, connection_id)


def _merged_extra(new: str | None, stored: str | None) -> str | None:
    if new is None or stored is None:
        return new
    try:
        return json.dumps(merge(json.loads(new), json.loads(stored)))
    except ValueError:
        return new  # an unstructured extra cannot be merged


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
