"""Assets and asset events (creating an event is how an external system says an asset changed)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, Pool, order_by_param, requires
from riir_airflow.broker.schemas import (
    AssetCollectionResponse,
    AssetEventCollectionResponse,
    AssetEventResponse,
    AssetResponse,
    CreateAssetEventsBody,
)
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import AssetEventRecord, AssetRecord

router = APIRouter(dependencies=[Depends(requires(Role.VIEWER, Role.OP))], tags=["Asset"])


def shape(a: AssetRecord) -> dict[str, Any]:
    return {"id": a.id, "name": a.name, "uri": a.uri, "group": a.group, "extra": a.extra, "created_at": a.created_at,
            "updated_at": a.updated_at, "scheduled_dags": [], "producing_tasks": [], "consuming_tasks": [],
            "aliases": [], "watchers": [], "last_asset_event": None}  # fmt: skip


def event_shape(e: AssetEventRecord, asset: AssetRecord | None) -> dict[str, Any]:
    return {"id": e.id, "asset_id": e.asset_id, "uri": asset.uri if asset else None,
            "name": asset.name if asset else None, "group": asset.group if asset else None, "extra": e.extra,
            "source_task_id": e.source_task_id, "source_dag_id": e.source_dag_id, "source_run_id": e.source_run_id,
            "source_map_index": -1 if e.source_map_index is None else e.source_map_index, "created_dagruns": [],
            "timestamp": e.timestamp, "partition_key": None}  # fmt: skip


def _valid_id(asset_id: int) -> bool:
    return -(2**31) <= asset_id < 2**31


@router.get("/assets", response_model=AssetCollectionResponse)
async def get_assets(
    pool: Pool,
    page: Page,
    order_by: Annotated[list[str], Depends(order_by_param("id"))],
    name_pattern: str | None = None,
    uri_pattern: str | None = None,
    only_active: bool = True,
) -> dict[str, Any]:
    # As Airflow: by default only active assets (of two sharing a name or URI, the one activated first).
    result = await aq.list_assets(pool, name_pattern=name_pattern, uri_pattern=uri_pattern, order_by=order_by,
                                  limit=page.limit, offset=page.offset, only_active=only_active)  # fmt: skip
    return {"assets": [shape(a) for a in result.items], "total_entries": result.total_entries}


@router.get("/assets/events", response_model=AssetEventCollectionResponse)
async def get_asset_events(
    pool: Pool,
    page: Page,
    order_by: Annotated[list[str], Depends(order_by_param("timestamp"))],
    asset_id: int | None = None,
    source_dag_id: str | None = None,
    timestamp_gte: Annotated[datetime.datetime | None, Query()] = None,
) -> dict[str, Any]:
    if asset_id is not None and not _valid_id(asset_id):
        return {"asset_events": [], "total_entries": 0}
    result = await q.list_asset_events(pool, asset_id=asset_id, source_dag_id=source_dag_id,
                                       timestamp_gte=timestamp_gte, order_by=order_by, limit=page.limit,
                                       offset=page.offset)  # fmt: skip
    assets = {i: await aq.get_asset(pool, i) for i in {e.asset_id for e in result.items}}
    return {"asset_events": [event_shape(e, assets[e.asset_id]) for e in result.items],
            "total_entries": result.total_entries}  # fmt: skip


@router.post("/assets/events", response_model=AssetEventResponse)
async def create_asset_event(pool: Pool, body: CreateAssetEventsBody) -> dict[str, Any]:
    asset = await aq.get_asset(pool, body.asset_id) if _valid_id(body.asset_id) else None
    if asset is None:
        raise HTTPException(404, f"Asset with ID: `{body.asset_id}` was not found")
    extra = dict(body.extra or {})
    extra.setdefault("from_rest_api", True)
    event = await q.record_asset_event(pool, asset.id, extra=extra)
    return event_shape(event, asset)


@router.get("/assets/{asset_id}", response_model=AssetResponse)
async def get_asset(pool: Pool, asset_id: int) -> dict[str, Any]:
    asset = await aq.get_asset(pool, asset_id) if _valid_id(asset_id) else None
    if asset is None:
        raise HTTPException(404, f"The Asset with ID: `{asset_id}` was not found")
    return shape(asset)


@router.get("/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamAssetEvents", response_model=AssetEventCollectionResponse)
async def get_upstream_asset_events(pool: Pool, dag_id: str, dag_run_id: str) -> dict[str, Any]:
    """The asset events an asset-triggered run consumed (its `triggering_asset_events`)."""
    events = await aq.consumed_asset_events(pool, dag_id, dag_run_id)
    if events is None:
        raise HTTPException(404, f"The DagRun with dag_id: `{dag_id}` and run_id: `{dag_run_id}` was not found")
    assets = {i: await aq.get_asset(pool, i) for i in {e.asset_id for e in events}}
    return {"asset_events": [event_shape(e, assets[e.asset_id]) for e in events], "total_entries": len(events)}
