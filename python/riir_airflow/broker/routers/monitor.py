"""`/version` and `/monitor/health` (no auth, as in Airflow)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from riir_airflow.broker.deps import get_pool
from riir_airflow.broker.health import health_payload
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import HealthInfoResponse, VersionInfo

router = ApiRouter()

# Airflow's API version this broker speaks.
AIRFLOW_API_VERSION = "3.3.2"


@router.get("/version", response_model=VersionInfo, tags=["Version"])
async def get_version(request: Request) -> dict[str, Any]:
    return {"version": AIRFLOW_API_VERSION, "git_version": f"riir-airflow {request.app.state.riir_version}"}


@router.get("/monitor/health", response_model=HealthInfoResponse, tags=["Monitor"])
async def get_health(request: Request) -> dict[str, Any]:
    """The metastore's health, and the DAG apps' (they play the scheduler's and triggerer's role)."""
    return await health_payload(get_pool(request), request.app.state.config)
