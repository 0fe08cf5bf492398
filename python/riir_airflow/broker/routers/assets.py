"""Assets, asset aliases, asset events (creating an event is how an external system says an asset changed), the
queued events of asset-scheduled DAGs, and materializing an asset (a run of the DAG that produces it)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import CurrentUser, Page, Pool, order_by_param, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers.dag_runs import create_run
from riir_airflow.broker.schemas import (
    AssetAliasCollectionResponse,
    AssetAliasResponse,
    AssetCollectionResponse,
    AssetEventCollectionResponse,
    AssetEventResponse,
    AssetResponse,
    CreateAssetEventsBody,
    DAGRunResponse,
    MaterializeAssetBody,
    QueuedEventCollectionResponse,
    QueuedEventResponse,
)
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import asset_api_queries as asq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import AssetEventRecord, AssetRecord

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.OP))], tags=["Asset"])


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


@router.get("/assets/aliases", response_model=AssetAliasCollectionResponse)
async def get_asset_aliases(
    pool: Pool,
    page: Page,
    order_by: Annotated[list[str], Depends(order_by_param("id"))],
    name_pattern: str | None = None,
    name_prefix_pattern: str | None = None,
) -> dict[str, Any]:
    aliases, total = await asq.list_aliases(pool, name_pattern=name_pattern, name_prefix=name_prefix_pattern,
                                            order_by=order_by, limit=page.limit, offset=page.offset)  # fmt: skip
    return {"asset_aliases": aliases, "total_entries": total}


@router.get("/assets/aliases/{asset_alias_id}", response_model=AssetAliasResponse)
async def get_asset_alias(pool: Pool, asset_alias_id: int) -> dict[str, Any]:
    alias = await asq.get_alias(pool, asset_alias_id) if _valid_id(asset_alias_id) else None
    if alias is None:
        raise HTTPException(404, f"The Asset Alias with ID: `{asset_alias_id}` was not found")
    return alias


@router.post("/assets/{asset_id}/materialize", response_model=DAGRunResponse)
async def materialize_asset(
    pool: Pool, user: CurrentUser, asset_id: int, body: MaterializeAssetBody | None = None
) -> dict[str, Any]:
    """Triggers the one DAG whose tasks produce the asset (404 when none does, 409 when several do)."""
    producers = await asq.producing_dag_ids(pool, asset_id) if _valid_id(asset_id) else []
    if not producers:
        raise HTTPException(404, f"No Dag materializes asset with ID: {asset_id}")
    if len(producers) > 1:
        raise HTTPException(409, f"More than one Dag materializes asset with ID: {asset_id}")
    return await create_run(pool, user.username, producers[0], body or MaterializeAssetBody(), "asset_materialization")


BeforeQ = Annotated[datetime.datetime | None, Query()]


@router.get("/assets/{asset_id}/queuedEvents", response_model=QueuedEventCollectionResponse)
async def get_asset_queued_events(pool: Pool, asset_id: int, before: BeforeQ = None) -> dict[str, Any]:
    events = await asq.queued_events(pool, asset_id=asset_id, before=before) if _valid_id(asset_id) else []
    return {"queued_events": events, "total_entries": len(events)}


@router.delete("/assets/{asset_id}/queuedEvents", status_code=204)
async def delete_asset_queued_events(pool: Pool, asset_id: int, before: BeforeQ = None) -> None:
    if not _valid_id(asset_id) or not await asq.delete_queued_events(pool, asset_id=asset_id, before=before):
        raise HTTPException(404, f"Queue event with asset_id: `{asset_id}` was not found")


@router.get("/dags/{dag_id}/assets/queuedEvents", response_model=QueuedEventCollectionResponse)
async def get_dag_asset_queued_events(pool: Pool, dag_id: str, before: BeforeQ = None) -> dict[str, Any]:
    events = await asq.queued_events(pool, dag_id=dag_id, before=before)
    return {"queued_events": events, "total_entries": len(events)}


@router.delete("/dags/{dag_id}/assets/queuedEvents", status_code=204)
async def delete_dag_asset_queued_events(pool: Pool, dag_id: str, before: BeforeQ = None) -> None:
    if not await asq.delete_queued_events(pool, dag_id=dag_id, before=before):
        raise HTTPException(404, f"Queue event with dag_id: `{dag_id}` was not found")


@router.get("/dags/{dag_id}/assets/{asset_id}/queuedEvents", response_model=QueuedEventResponse)
async def get_dag_asset_queued_event(pool: Pool, dag_id: str, asset_id: int, before: BeforeQ = None) -> dict[str, Any]:
    events = await asq.queued_events(pool, dag_id=dag_id, asset_id=asset_id, before=before) if _valid_id(
        asset_id) else []  # fmt: skip
    if not events:
        raise HTTPException(404, f"Queued event with dag_id: `{dag_id}` and asset_id: `{asset_id}` was not found")
    return events[0]


@router.delete("/dags/{dag_id}/assets/{asset_id}/queuedEvents", status_code=204)
async def delete_dag_asset_queued_event(pool: Pool, dag_id: str, asset_id: int, before: BeforeQ = None) -> None:
    if not _valid_id(asset_id) or not await asq.delete_queued_events(
        pool, dag_id=dag_id, asset_id=asset_id, before=before
    ):
        raise HTTPException(404, f"Queued event with dag_id: `{dag_id}` and asset_id: `{asset_id}` was not found")


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
