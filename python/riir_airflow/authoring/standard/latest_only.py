"""LatestOnlyOperator: skips downstream tasks unless the run is the most recent scheduled one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pendulum

from riir_airflow.authoring.branch import BaseBranchOperator


class LatestOnlyOperator(BaseBranchOperator):
    """Follows every downstream task in the latest run (and in manual runs); skips them all otherwise."""

    ui_color = "#e9ffdb"

    def choose_branch(self, context: Any) -> str | Iterable[str] | None:
        dag_run = context["dag_run"]
        if getattr(dag_run, "run_type", None) == "manual":
            return list(context["task"].get_direct_relative_ids(upstream=False))
        dag = context["dag"]
        interval_end = context.get("data_interval_end")
        if interval_end is None:
            return list(context["task"].get_direct_relative_ids(upstream=False))
        now = pendulum.now("UTC")
        next_info = dag.timetable.next_dagrun_info(
            last_automated_data_interval=_interval(context["data_interval_start"], interval_end),
            restriction=_restriction(dag),
        )
        if next_info is None or not (interval_end <= now < next_info.run_after):
            return None
        return list(context["task"].get_direct_relative_ids(upstream=False))


def _interval(start: Any, end: Any) -> Any:
    from riir_airflow.schedules.timetables import DataInterval

    return DataInterval(start, end)


def _restriction(dag: Any) -> Any:
    from riir_airflow.schedules.timetables import TimeRestriction

    return TimeRestriction(earliest=dag.start_date, latest=dag.end_date, catchup=True)
