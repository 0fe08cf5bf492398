"""`/api/v2/apps` (riir-airflow's own): the registered DAG apps with their DAGs, versions and health.

An app is `healthy` while its heartbeat is younger than `[broker] app_stale_after` seconds (default 60), `stale`
after that, and `gone` once it deregistered (state stopped) or stayed silent for `[broker] app_gone_after`
seconds (default 600). DAGs whose app is gone are listed with that status instead of vanishing.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from fastapi import Depends, Request
from pydantic import BaseModel

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Pool, get_config, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore.records import AppRecord

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.ADMIN))], tags=["Discovery (riir-airflow)"])

AppStatus = Literal["healthy", "stale", "gone"]


class AppDag(BaseModel):
    dag_id: str
    version_number: int | None
    is_paused: bool | None


class AppResponse(BaseModel):
    id: str
    name: str
    hostname: str
    pid: int | None
    version: str | None
    code_hash: str
    state: str
    status: AppStatus
    started_at: datetime.datetime
    last_heartbeat: datetime.datetime
    heartbeat_age_seconds: float
    dags: list[AppDag]


class AppCollectionResponse(BaseModel):
    apps: list[AppResponse]
    total_entries: int


def app_status(app: AppRecord, now: datetime.datetime, stale_after: float, gone_after: float) -> AppStatus:
    age = (now - app.last_heartbeat).total_seconds()
    if app.state == "stopped" or age > gone_after:
        return "gone"
    return "stale" if age > stale_after else "healthy"


@router.get("/apps", response_model=AppCollectionResponse)
async def list_apps(request: Request, pool: Pool) -> dict[str, Any]:
    config = get_config(request)
    stale_after = config.getfloat("broker", "app_stale_after", fallback=60.0)
    gone_after = config.getfloat("broker", "app_gone_after", fallback=600.0)
    apps, now = await aq.list_all_apps(pool)
    all_dags = {d for a in apps for d in a.dag_ids}
    versions = await aq.latest_versions(pool, all_dags)
    from riir_airflow.metastore import queries as q

    paused = {}
    for dag_id in all_dags:
        dag = await q.get_dag(pool, dag_id)
        paused[dag_id] = dag.is_paused if dag else None
    items = []
    for a in apps:
        items.append({
            "id": a.id, "name": a.name, "hostname": a.hostname, "pid": a.pid, "version": a.version,
            "code_hash": a.code_hash, "state": a.state, "status": app_status(a, now, stale_after, gone_after),
            "started_at": a.started_at, "last_heartbeat": a.last_heartbeat,
            "heartbeat_age_seconds": max((now - a.last_heartbeat).total_seconds(), 0.0),
            "dags": [{"dag_id": d, "version_number": versions[d].version_number if d in versions else None,
                      "is_paused": paused.get(d)} for d in a.dag_ids],
        })  # fmt: skip
    return {"apps": items, "total_entries": len(items)}
