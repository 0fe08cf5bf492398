"""`/dags`: list, get, details, pause/unpause (one or many), delete, tags, stats."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Query, Response

from riir_airflow.broker import views
from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import CurrentUser, Page, Pool, order_by_param, requires
from riir_airflow.broker.json_body import json_body
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers._common import require_dag
from riir_airflow.broker.schemas import (
    DAGCollectionResponse,
    DAGDetailsResponse,
    DAGPatchBody,
    DAGResponse,
    DagStatsCollectionResponse,
    DAGTagCollectionResponse,
)
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import queries as q

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["DAG"])


@router.get("/dags", response_model=DAGCollectionResponse)
async def get_dags(
    pool: Pool,
    user: CurrentUser,
    page: Page,
    order_by: Annotated[list[str], Depends(order_by_param("dag_id"))],
    tags: Annotated[list[str] | None, Query()] = None,
    tags_match_mode: Literal["any", "all"] | None = None,
    owners: Annotated[list[str] | None, Query()] = None,
    dag_id_pattern: str | None = None,
    dag_id_prefix_pattern: str | None = None,
    exclude_stale: bool = True,
    paused: bool | None = None,
    is_favorite: bool | None = None,
) -> Response:
    result = await aq.list_dags_filtered(
        pool,
        dag_id_pattern=dag_id_pattern,
        dag_id_prefix=dag_id_prefix_pattern,
        tags=tags or (),
        tags_match_all=tags_match_mode == "all",
        paused=paused,
        exclude_stale=exclude_stale,
        owners=owners or (),
        favorite_of=None if is_favorite is None else (user.username, is_favorite),
        order_by=order_by,
        limit=page.limit,
        offset=page.offset,
    )
    dags = [
        views.dag_of_version(d, d["latest_bundle_name"], d["latest_bundle_version"], d["latest_timetable_type"] or "")
        for d in result.items
    ]
    return json_body({"dags": dags, "total_entries": result.total_entries})


@router.get("/dags/{dag_id}", response_model=DAGResponse)
async def get_dag(pool: Pool, dag_id: str) -> dict[str, Any]:
    dag = await require_dag(pool, dag_id)
    latest = await aq.latest_versions(pool, [dag_id])
    return views.dag(dag, latest.get(dag_id))


@router.get("/dags/{dag_id}/details", response_model=DAGDetailsResponse)
async def get_dag_details(pool: Pool, user: CurrentUser, dag_id: str) -> dict[str, Any]:
    dag = await require_dag(pool, dag_id)
    latest = await aq.latest_versions(pool, [dag_id])
    stats = await aq.dag_stats(pool, [dag_id])
    active = sum(n for state, n in stats.get(dag_id, {}).items() if state in ("queued", "running"))
    favorite = await aq.is_favorite(pool, user.username, dag_id)
    return views.dag_details(dag, latest.get(dag_id), active, favorite=favorite)


@router.patch("/dags/{dag_id}", response_model=DAGResponse)
async def patch_dag(
    pool: Pool, dag_id: str, body: DAGPatchBody, update_mask: Annotated[list[str] | None, Query()] = None
) -> dict[str, Any]:
    await require_dag(pool, dag_id)
    if update_mask and any(field != "is_paused" for field in update_mask):
        raise HTTPException(400, "Only `is_paused` field can be updated through the REST API")
    dag = await q.set_dag_paused(pool, dag_id, body.is_paused)
    await q.record_event(pool, "paused" if body.is_paused else "unpaused", dag_id=dag_id)
    latest = await aq.latest_versions(pool, [dag_id])
    return views.dag(dag, latest.get(dag_id))


@router.patch("/dags", response_model=DAGCollectionResponse)
async def patch_dags(
    pool: Pool,
    user: CurrentUser,
    page: Page,
    body: DAGPatchBody,
    tags: Annotated[list[str] | None, Query()] = None,
    tags_match_mode: Literal["any", "all"] | None = None,
    owners: Annotated[list[str] | None, Query()] = None,
    dag_id_pattern: str | None = None,
    dag_id_prefix_pattern: str | None = None,
    exclude_stale: bool = True,
    paused: bool | None = None,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """Pause or unpause every DAG the filters match. As in Airflow, no pattern matches no DAG (`~` matches all)."""
    if update_mask and update_mask != ["is_paused"]:
        raise HTTPException(400, "Only `is_paused` field can be updated through the REST API")
    if dag_id_pattern is None and dag_id_prefix_pattern is None:
        return {"dags": [], "total_entries": 0}
    result = await aq.pause_dags_filtered(
        pool,
        body.is_paused,
        dag_id_pattern=dag_id_pattern,
        dag_id_prefix=dag_id_prefix_pattern,
        tags=tags or (),
        tags_match_all=tags_match_mode == "all",
        paused=paused,
        exclude_stale=exclude_stale,
        owners=owners or (),
        limit=page.limit,
        offset=page.offset,
    )
    for dag in result.items:
        await q.record_event(pool, "paused" if body.is_paused else "unpaused", dag_id=dag.dag_id, owner=user.username)
    latest = await aq.latest_versions(pool, [d.dag_id for d in result.items], light=True)
    return {"dags": [views.dag(d, latest.get(d.dag_id)) for d in result.items], "total_entries": result.total_entries}


@router.delete("/dags/{dag_id}", status_code=204, response_class=Response)
async def delete_dag(pool: Pool, dag_id: str) -> Response:
    await require_dag(pool, dag_id)
    await aq.delete_dag(pool, dag_id)
    return Response(status_code=204)


@router.get("/dagTags", response_model=DAGTagCollectionResponse)
async def get_dag_tags(pool: Pool, page: Page, tag_name_pattern: str | None = None) -> dict[str, Any]:
    names, total = await aq.all_tags(pool, tag_name_pattern, page.limit, page.offset)
    return {"tags": names, "total_entries": total}


@router.get("/dagStats", response_model=DagStatsCollectionResponse, tags=["DagStats"])
async def get_dag_stats(pool: Pool, dag_ids: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
    stats = await aq.dag_stats(pool, dag_ids)
    ids = sorted(set(dag_ids) if dag_ids else set((await aq.display_names(pool, stats)).keys()) | set(stats))
    names = await aq.display_names(pool, ids)
    items = [
        {
            "dag_id": dag_id,
            "dag_display_name": names.get(dag_id, dag_id),
            "stats": [
                {"state": s, "count": stats.get(dag_id, {}).get(s, 0)}
                for s in ("queued", "running", "success", "failed")
            ],
        }
        for dag_id in ids
        if dag_id in names
    ]
    return {"dags": items, "total_entries": len(items)}
