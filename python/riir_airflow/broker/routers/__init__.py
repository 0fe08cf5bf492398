"""One router per resource, mounted under /api/v2 (auth_router under /auth)."""

from __future__ import annotations

from riir_airflow.broker.routers import (
    asset_state_store,
    assets,
    backfills,
    config,
    connections,
    dag_runs,
    dag_versions,
    dags,
    deployments,
    discovery,
    event_logs,
    hitl,
    import_errors,
    monitor,
    plugins,
    pools,
    task_instances,
    tasks,
    variables,
    xcom,
)

ROUTERS = [
    monitor,
    dags,
    dag_versions,
    tasks,
    dag_runs,
    xcom,
    task_instances,
    hitl,
    variables,
    connections,
    pools,
    assets,
    asset_state_store,
    backfills,
    import_errors,
    event_logs,
    config,
    discovery,
    deployments,
    plugins,
]
