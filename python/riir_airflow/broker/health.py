"""The body of `GET /api/v2/monitor/health`, computed without FastAPI: the metastore's health and the DAG apps'
(they play the scheduler's, triggerer's and dag-processor's role).

Kept apart from the router so that the broker's lazy front (broker/front.py) answers health probes, which arrive
every few seconds, without building the whole API.
"""

from __future__ import annotations

import datetime
from typing import Any

import asyncpg

from riir_airflow.config import AirflowConfigParser
from riir_airflow.metastore.api_queries import list_all_apps


async def health_payload(pool: asyncpg.Pool, config: AirflowConfigParser) -> dict[str, Any]:
    """Airflow's HealthInfoResponse shape; an unreachable database is reported, not raised."""
    try:
        apps, now = await list_all_apps(pool)
        db_status = "healthy"
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):  # what it exists to report
        apps, now, db_status = [], datetime.datetime.now(datetime.UTC), "unhealthy"
    threshold = datetime.timedelta(seconds=config.getint("scheduler", "scheduler_health_check_threshold", fallback=30))
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
