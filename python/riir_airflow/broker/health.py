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


async def health_payload(pool: asyncpg.Pool, config: AirflowConfigParser) -> dict[str, Any]:
    """Airflow's HealthInfoResponse shape; an unreachable database is reported, not raised."""
    try:
        newest, now = await newest_heartbeat(pool)
        db_status = "healthy"
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):  # what it exists to report
        newest, now, db_status = None, datetime.datetime.now(datetime.UTC), "unhealthy"
    threshold = datetime.timedelta(seconds=config.getint("scheduler", "scheduler_health_check_threshold", fallback=30))
    status = "healthy" if newest is not None and now - newest <= threshold else "unhealthy"
    latest = newest.isoformat() if newest is not None else None  # Airflow sends these as strings
    component = {"status": status if db_status == "healthy" else None, "latest_scheduler_heartbeat": latest}
    return {
        "metadatabase": {"status": db_status},
        "scheduler": component,
        "triggerer": {"status": component["status"], "latest_triggerer_heartbeat": latest},
        "dag_processor": {"status": component["status"], "latest_dag_processor_heartbeat": latest},
    }


async def newest_heartbeat(pool: asyncpg.Pool) -> tuple[datetime.datetime | None, datetime.datetime]:
    """The newest heartbeat of the apps that are not stopped (None: there is none) and the database's clock, which
    heartbeat ages are measured against. One statement of its own rather than the API's app listing
    (metastore/api_queries.py), whose record classes and queries an idle broker would otherwise import (~1 MB)."""
    async with pool.acquire() as conn:
        row: Any = await conn.fetchrow(  # an aggregate without GROUP BY: always one row
            "SELECT max(last_heartbeat) FILTER (WHERE state <> 'stopped') AS newest, now() AS now FROM app"
        )
    return row["newest"], row["now"]
