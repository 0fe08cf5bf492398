"""Pools: CRUD and bulk, with their slot usage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import (
    BulkBody_PoolBody_,
    BulkResponse,
    PoolBody,
    PoolCollectionResponse,
    PoolPatchBody,
    PoolResponse,
)
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import PoolUsage

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.OP))], tags=["Pool"])


def shape(p: PoolUsage) -> dict[str, Any]:
    open_slots = p.open_slots
    return {"name": p.pool, "slots": p.slots, "description": p.description, "include_deferred": p.include_deferred,
            "occupied_slots": p.occupied_slots, "running_slots": p.running_slots, "queued_slots": p.queued_slots,
            "scheduled_slots": p.scheduled_slots, "open_slots": -1 if open_slots == float("inf") else int(open_slots),
            "deferred_slots": p.deferred_slots, "team_name": None}  # fmt: skip


async def _all(pool: Any) -> dict[str, PoolUsage]:
    page = await q.list_pool_usage(pool, limit=1_000_000, offset=0)
    return {p.pool: p for p in page.items}


def _not_found(name: str) -> HTTPException:
    return HTTPException(404, f"The Pool with name: `{name}` was not found")


@router.get("/pools", response_model=PoolCollectionResponse)
async def get_pools(pool: Pool, page: Page, pool_name_pattern: str | None = None) -> dict[str, Any]:
    items = list((await _all(pool)).values())
    if pool_name_pattern and pool_name_pattern != "~":
        parts = [p.lower() for p in pool_name_pattern.split("|")]
        items = [p for p in items if any(part in p.pool.lower() for part in parts)]
    return {"pools": [shape(p) for p in items[page.offset : page.offset + page.limit]], "total_entries": len(items)}


@router.get("/pools/{pool_name}", response_model=PoolResponse)
async def get_pool(pool: Pool, pool_name: str) -> dict[str, Any]:
    found = (await _all(pool)).get(pool_name)
    if found is None:
        raise _not_found(pool_name)
    return shape(found)


@router.post("/pools", response_model=PoolResponse, status_code=201)
async def post_pool(pool: Pool, body: PoolBody) -> dict[str, Any]:
    if body.name in await _all(pool):
        raise HTTPException(409, f"The Pool with name: `{body.name}` already exists")
    await q.upsert_pool(pool, body.name, body.slots, description=body.description,
                        include_deferred=body.include_deferred)  # fmt: skip
    return await get_pool(pool, body.name)


@router.patch("/pools/{pool_name}", response_model=PoolResponse)
async def patch_pool(
    pool: Pool, pool_name: str, body: PoolPatchBody, update_mask: Annotated[list[str] | None, Query()] = None
) -> dict[str, Any]:
    current = (await _all(pool)).get(pool_name)
    if current is None:
        raise _not_found(pool_name)
    fields = set(update_mask) if update_mask else body.model_fields_set
    if pool_name == "default_pool" and fields - {"slots", "description", "include_deferred"}:
        raise HTTPException(400, "Only slots, description and include_deferred can be modified on Default Pool")
    if "pool" in fields and body.pool and body.pool != pool_name:
        raise HTTPException(400, "Renaming a pool is not supported")
    slots = body.slots if "slots" in fields and body.slots is not None else current.slots
    description = body.description if "description" in fields else current.description
    deferred = (
        body.include_deferred
        if "include_deferred" in fields and body.include_deferred is not None
        else current.include_deferred
    )
    await q.upsert_pool(pool, pool_name, slots, description=description, include_deferred=deferred)
    return await get_pool(pool, pool_name)


@router.delete("/pools/{pool_name}", status_code=204)
async def delete_pool(pool: Pool, pool_name: str) -> None:
    if pool_name == "default_pool":
        raise HTTPException(400, "Default Pool can't be deleted")
    if not await q.delete_pool(pool, pool_name):
        raise _not_found(pool_name)


@router.patch("/pools", response_model=BulkResponse)
async def bulk_pools(pool: Pool, body: BulkBody_PoolBody_) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for action in body.actions:
        result: dict[str, Any] = {"success": [], "errors": []}
        existing = await _all(pool)
        if action.action in ("create", "update"):
            names = {e.name for e in action.entities}
            if action.action == "create" and names & set(existing) and action.action_on_existence == "fail":
                msg = f"The pools with these pool names: {names & set(existing)} already exist."
                result["errors"].append({"error": msg, "status_code": 409})
            elif action.action == "update" and names - set(existing) and action.action_on_non_existence == "fail":
                msg = f"The pools with these pool names: {names - set(existing)} were not found."
                result["errors"].append({"error": msg, "status_code": 404})
            else:
                for e in action.entities:
                    there = e.name in existing
                    if (action.action == "create" and there and action.action_on_existence == "skip") or (
                        action.action == "update" and not there
                    ):
                        continue
                    await q.upsert_pool(pool, e.name, e.slots, description=e.description,
                                        include_deferred=e.include_deferred)  # fmt: skip
                    result["success"].append(e.name)
        else:
            names_list = [e if isinstance(e, str) else e.name for e in action.entities]
            missing = {n for n in names_list if n not in existing}
            if missing and getattr(action, "action_on_non_existence", "fail") == "fail":
                msg = f"The pools with these pool names: {missing} were not found."
                result["errors"].append({"error": msg, "status_code": 404})
            elif "default_pool" in names_list:
                result["errors"].append({"error": "Default Pool can't be deleted", "status_code": 400})
            else:
                for n in names_list:
                    if n not in missing:
                        await q.delete_pool(pool, n)
                        result["success"].append(n)
        out[action.action] = result
    return out
