"""`/version` and `/monitor/health` (no auth, as in Airflow)."""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import APIRouter, Request

from riir_airflow.broker.deps import get_pool
from riir_airflow.broker.schemas import HealthInfoResponse, VersionInfo
from riir_airflow.metastore.api_queries import list_all_apps

router = APIRouter()

# Airflow's API version this broker speaks.
AIRFLOW_API_VERSION = "3.3.2"


@router.get("/version", response_model=VersionInfo, tags=["Version"])
async def get_version(request: Request) -> dict[str, Any]:
    return {"version": AIRFLOW_API_VERSION, "git_version": f"riir-airflow {request.app.state.riir_version}"}


@router.get("/monitor/health", response_model=HealthInfoResponse, tags=["Monitor"])
async def get_health(request: Request) -> dict[str, Any]:
    """The metastore's health, and the DAG apps' (they play the scheduler's and triggerer's role)."""
    try:
        apps, now = await list_all_apps(get_pool(request))
        db_status = "healthy"
    except Exception:  # an unreachable database is what this endpoint reports
        apps, now, db_status = [], datetime.datetime.now(datetime.UTC), "unhealthy"
    threshold = datetime.timedelta(
        seconds=request.app.state.config.getint("scheduler", "scheduler_health_check_threshold", fallback=30)
    )
    running = [a for a in apps if a.state != "stopped"]
    newest = max((a.last_heartbeat for a in running), default=None)
    status = "healthy" if newest is not None and now - newest <= threshold else "unhealthy"
    latest = newest.isoformat() if newest is not None else None  # Airflow sends these as strings
    component = {"status": status if db_status == "healthy" else None, "latest_scheduler_heartbeat": latest}
    return {
        "metadatabase": {"status": db_status},
        "scheduler": component,
        "triggerer": {"status": component["status"], "latest_triggerer_heartbeat": latest},
        "dag_processor": {"status": component["status"], "latest_dag_processor_heartbeat": latest},
    }
