"""`POST /dags/{dag_id}/favorite` and `/unfavorite`: each user's favorite DAGs (`GET /dags?is_favorite=`). As in
Airflow, reading a DAG is enough to mark it (a viewer may keep favorites)."""

from __future__ import annotations

from fastapi import Depends, HTTPException, Response

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import CurrentUser, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import queries as q

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.VIEWER))], tags=["DAG"])


@router.post("/dags/{dag_id}/favorite", status_code=204, response_class=Response)
async def favorite_dag(pool: Pool, user: CurrentUser, dag_id: str) -> Response:
    await _require_dag_for_favorite(pool, dag_id)
    if not await aq.add_favorite(pool, user.username, dag_id):
        # Airflow's insert hits the primary key, which its API answers as a unique-constraint 409.
        raise HTTPException(409, "Dag is already marked as favorite")
    return Response(status_code=204)


@router.post("/dags/{dag_id}/unfavorite", status_code=204, response_class=Response)
async def unfavorite_dag(pool: Pool, user: CurrentUser, dag_id: str) -> Response:
    await _require_dag_for_favorite(pool, dag_id)
    if not await aq.remove_favorite(pool, user.username, dag_id):
        raise HTTPException(409, "Dag is not marked as favorite")
    return Response(status_code=204)


async def _require_dag_for_favorite(pool: Pool, dag_id: str) -> None:
    if await q.get_dag(pool, dag_id) is None:
        raise HTTPException(404, f"Dag with id '{dag_id}' not found")
