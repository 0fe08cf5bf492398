"""Other DAGs' runs for triggers on the app's loop (DagStateTrigger, WorkflowTrigger): the async twin of what task
processes ask over their channel, through the same checked metastore functions (migration 0012)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from riir_airflow.metastore import app_queries


class AppOtherDags:
    def __init__(self, db: Any) -> None:
        self.db = db

    async def dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        return await app_queries.dag_run_state(self.db, dag_id, run_id)

    async def count_external(
        self,
        dag_id: str,
        logical_dates: list[dt.datetime],
        states: list[str],
        task_ids: list[str] | None,
        group_id: str | None,
    ) -> float:
        return await app_queries.external_count(self.db, dag_id, logical_dates, states, task_ids, group_id)
