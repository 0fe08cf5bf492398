"""Asset state store (Airflow 3.3 `/assets/{asset_id}/state-store`): the key/value state tasks keep per asset."""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import Depends, HTTPException, Response
from pydantic import BaseModel, ConfigDict, field_validator

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.metastore import asset_event_queries as aq

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["Asset State Store"])
BASE = "/assets/{asset_id}/state-store"


class AssetStateStoreLastUpdatedBy(BaseModel):
    kind: str
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    map_index: int | None = None


class AssetStateStoreResponse(BaseModel):
    key: str
    value: Any
    updated_at: datetime.datetime
    last_updated_by: AssetStateStoreLastUpdatedBy | None = None


class AssetStateStoreCollectionResponse(BaseModel):
    asset_state_store: list[AssetStateStoreResponse]
    total_entries: int


class AssetStateStoreBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Any

    @field_validator("value")
    @classmethod
    def value_is_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("value cannot be null")
        return value


async def _require_asset(pool: Any, asset_id: int) -> None:
    if not await aq.asset_exists(pool, asset_id):
        raise HTTPException(404, f"Asset with id {asset_id!r} not found")


@router.get(BASE, response_model=AssetStateStoreCollectionResponse)
async def list_asset_state_store(pool: Pool, page: Page, asset_id: int) -> dict[str, Any]:
    await _require_asset(pool, asset_id)
    entries, total = await aq.list_asset_state(pool, asset_id, limit=page.limit, offset=page.offset)
    return {"asset_state_store": entries, "total_entries": total}


@router.get(BASE + "/{key:path}", response_model=AssetStateStoreResponse)
async def get_asset_state_store(pool: Pool, asset_id: int, key: str) -> dict[str, Any]:
    await _require_asset(pool, asset_id)
    entries, _ = await aq.list_asset_state(pool, asset_id, key=key, limit=1)
    if not entries:
        raise HTTPException(404, f"Asset state store key {key!r} not found")
    return entries[0]


@router.put(BASE + "/{key:path}", status_code=204)
async def set_asset_state_store(pool: Pool, asset_id: int, key: str, body: AssetStateStoreBody) -> Response:
    await _require_asset(pool, asset_id)
    await aq.set_asset_state_api(pool, asset_id, key, body.value)
    return Response(status_code=204)


@router.delete(BASE + "/{key:path}", status_code=204)
async def delete_asset_state_store(pool: Pool, asset_id: int, key: str) -> Response:
    await _require_asset(pool, asset_id)
    await aq.delete_asset_state(pool, asset_id, key)
    return Response(status_code=204)


@router.delete(BASE, status_code=204)
async def clear_asset_state_store(pool: Pool, asset_id: int) -> Response:
    await _require_asset(pool, asset_id)
    await aq.delete_asset_state(pool, asset_id)
    return Response(status_code=204)
