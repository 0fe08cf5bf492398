"""Variables: CRUD and bulk. Values are stored encrypted when `[core] fernet_key` is set."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import (
    BulkBody_VariableBody_,
    BulkResponse,
    VariableBody,
    VariableCollectionResponse,
    VariableResponse,
)
from riir_airflow.metastore import secrets as s
from riir_airflow.metastore.records import VariableRecord
from riir_airflow.secrets_masker import redact

router = ApiRouter(dependencies=[Depends(requires(Role.OP, Role.OP))], tags=["Variable"])


def redact_variable(key: str, value: str | None) -> str | None:
    """Airflow's VariableResponse: a JSON object value is redacted field by field, any other value by its key."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return json.dumps(redact(parsed, key))
    return str(redact(value, key))


def _value(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def shape(v: VariableRecord) -> dict[str, Any]:
    return {"key": v.key, "value": redact_variable(v.key, v.val), "description": v.description,
            "is_encrypted": v.is_encrypted, "team_name": None}  # fmt: skip


def _not_found(key: str) -> HTTPException:
    return HTTPException(404, f"The Variable with key: `{key}` was not found")


@router.get("/variables", response_model=VariableCollectionResponse)
async def get_variables(pool: Pool, page: Page, variable_key_pattern: str | None = None) -> dict[str, Any]:
    pattern = None if variable_key_pattern in (None, "~") else variable_key_pattern
    result = await s.list_variables(pool, key_pattern=pattern, limit=page.limit, offset=page.offset)
    return {"variables": [shape(v) for v in result.items], "total_entries": result.total_entries}


@router.get("/variables/{variable_key:path}", response_model=VariableResponse)
async def get_variable(pool: Pool, variable_key: str) -> dict[str, Any]:
    record = await s.get_variable_record(pool, variable_key)
    if record is None:
        raise _not_found(variable_key)
    return shape(record)


@router.post("/variables", response_model=VariableResponse, status_code=201)
async def post_variable(pool: Pool, body: VariableBody) -> dict[str, Any]:
    if await s.get_variable_record(pool, body.key) is not None:
        raise HTTPException(409, f"The Variable with key: `{body.key}` already exists")
    await s.set_variable(pool, body.key, _value(body.value), description=body.description)
    return await get_variable(pool, body.key)


@router.patch("/variables/{variable_key:path}", response_model=VariableResponse)
async def patch_variable(
    pool: Pool, variable_key: str, body: VariableBody, update_mask: Annotated[list[str] | None, Query()] = None
) -> dict[str, Any]:
    if body.key != variable_key:
        raise HTTPException(400, "Invalid body, key from request body doesn't match uri parameter")
    current = await s.get_variable_record(pool, variable_key)
    if current is None:
        raise _not_found(variable_key)
    fields = set(update_mask or ["value", "description"])
    value = _value(body.value) if "value" in fields else (current.val or "")
    description = body.description if "description" in fields else current.description
    await s.set_variable(pool, variable_key, value, description=description)
    return await get_variable(pool, variable_key)


@router.delete("/variables/{variable_key:path}", status_code=204)
async def delete_variable(pool: Pool, variable_key: str) -> None:
    if not await s.delete_variable(pool, variable_key):
        raise _not_found(variable_key)


@router.patch("/variables", response_model=BulkResponse)
async def bulk_variables(pool: Pool, body: BulkBody_VariableBody_) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for action in body.actions:
        result: dict[str, Any] = {"success": [], "errors": []}
        if action.action == "create":
            keys = [e.key for e in action.entities]
            existing = [k for k in keys if await s.get_variable_record(pool, k) is not None]
            if existing and action.action_on_existence == "fail":
                result["errors"].append({"error": f"The variables with these keys: {set(existing)} already exist.",
                                         "status_code": 409})  # fmt: skip
            else:
                for e in action.entities:
                    if e.key in existing and action.action_on_existence == "skip":
                        continue
                    await s.set_variable(pool, e.key, _value(e.value), description=e.description)
                    result["success"].append(e.key)
        elif action.action == "update":
            missing = [e.key for e in action.entities if await s.get_variable_record(pool, e.key) is None]
            if missing and action.action_on_non_existence == "fail":
                result["errors"].append({"error": f"The variables with these keys: {set(missing)} were not found.",
                                         "status_code": 404})  # fmt: skip
            else:
                for e in action.entities:
                    if e.key not in missing:
                        await s.set_variable(pool, e.key, _value(e.value), description=e.description)
                        result["success"].append(e.key)
        else:
            keys = [e if isinstance(e, str) else e.key for e in action.entities]
            missing = [k for k in keys if await s.get_variable_record(pool, k) is None]
            if missing and action.action_on_non_existence == "fail":
                result["errors"].append({"error": f"The variables with these keys: {set(missing)} were not found.",
                                         "status_code": 404})  # fmt: skip
            else:
                for k in keys:
                    if k not in missing:
                        await s.delete_variable(pool, k)
                        result["success"].append(k)
        out[action.action] = result
    return out
