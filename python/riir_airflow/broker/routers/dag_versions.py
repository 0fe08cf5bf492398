"""`/dags/{dag_id}/dagVersions` and `/dagSources/{dag_id}`."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException

from riir_airflow.broker import views
from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers._common import require_dag
from riir_airflow.broker.schemas import DAGSourceResponse, DAGVersionCollectionResponse, DagVersionResponse
from riir_airflow.metastore import queries as q

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["DagVersion"])


@router.get("/dags/{dag_id}/dagVersions", response_model=DAGVersionCollectionResponse)
async def get_dag_versions(pool: Pool, page: Page, dag_id: str) -> dict[str, Any]:
    dag = await require_dag(pool, dag_id)
    result = await q.list_dag_versions(pool, dag_id, limit=page.limit, offset=page.offset)
    name = dag.dag_display_name or dag_id
    return {"dag_versions": [views.dag_version(v, name) for v in result.items], "total_entries": result.total_entries}


@router.get("/dags/{dag_id}/dagVersions/{version_number}", response_model=DagVersionResponse)
async def get_dag_version(pool: Pool, dag_id: str, version_number: int) -> dict[str, Any]:
    dag = await require_dag(pool, dag_id)
    version = await q.get_dag_version(pool, dag_id, version_number) if -(2**31) <= version_number < 2**31 else None
    if version is None:
        raise HTTPException(
            404, f"The DagVersion with dag_id: `{dag_id}` and version_number: `{version_number}` was not found"
        )
    return views.dag_version(version, dag.dag_display_name or dag_id)


@router.get("/dagSources/{dag_id}", response_model=DAGSourceResponse, tags=["DagSource"])
async def get_dag_source(pool: Pool, dag_id: str, version_number: int | None = None) -> dict[str, Any]:
    dag = await require_dag(pool, dag_id)
    version = (
        await q.get_dag_version(pool, dag_id, version_number)
        if version_number is None or -(2**31) <= version_number < 2**31
        else None
    )
    source = version.data.get("source_code") if version and isinstance(version.data, dict) else None
    if version is None or source is None:
        raise HTTPException(404, f"The source code of the Dag {dag_id}, version_number {version_number} was not found")
    return {
        "content": source,
        "dag_id": dag_id,
        "version_number": version.version_number,
        "dag_display_name": dag.dag_display_name or dag_id,
    }
