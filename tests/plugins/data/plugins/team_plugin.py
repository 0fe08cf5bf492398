"""A plugin as a team would drop into $AIRFLOW_HOME/plugins: a timetable, a macro and a listener.

The listener appends one JSON line per hook call to the file named by $PLUGIN_EVENTS_FILE (when set), so tests can
see which hooks ran, in which process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import pendulum
from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin
from airflow.timetables.base import DagRunInfo, DataInterval, Timetable


def team_greeting(name: str) -> str:
    return f"hello {name} from the team plugin"


class EveryOtherDayTimetable(Timetable):
    """Runs at midnight UTC every second day; a manual run covers the two days before it."""

    summary = "every other day"
    description = "At 00:00 UTC every second day"

    def infer_manual_data_interval(self, *, run_after: pendulum.DateTime) -> DataInterval:
        end = pendulum.instance(run_after).in_timezone("UTC").start_of("day")
        return DataInterval(start=end - dt.timedelta(days=2), end=end)

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None, restriction: Any) -> Any:
        if last_automated_data_interval is not None:
            start = last_automated_data_interval.end
        elif restriction.earliest is None:
            return None
        else:
            start = pendulum.instance(restriction.earliest).in_timezone("UTC").start_of("day")
            if not restriction.catchup:  # as Airflow's own example timetables do: no runs for the days already past
                start = max(start, pendulum.now("UTC").start_of("day"))
        if restriction.latest is not None and start > restriction.latest:
            return None
        return DagRunInfo.interval(start=start, end=start + dt.timedelta(days=2))


def _record(hook: str, **facts: Any) -> None:
    path = os.environ.get("PLUGIN_EVENTS_FILE")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"hook": hook, "pid": os.getpid(), **facts}) + "\n")


class TeamListener:
    @hookimpl
    def on_task_instance_running(self, previous_state: Any, task_instance: Any) -> None:
        _record("on_task_instance_running", task_id=task_instance.task_id, previous_state=str(previous_state))

    @hookimpl
    def on_task_instance_success(self, previous_state: Any, task_instance: Any) -> None:
        _record("on_task_instance_success", task_id=task_instance.task_id, previous_state=str(previous_state))

    @hookimpl
    def on_dag_run_running(self, dag_run: Any, msg: str) -> None:
        _record("on_dag_run_running", dag_id=dag_run.dag_id, msg=msg)

    @hookimpl
    def on_dag_run_success(self, dag_run: Any, msg: str) -> None:
        _record("on_dag_run_success", dag_id=dag_run.dag_id, msg=msg)


class TeamPlugin(AirflowPlugin):
    name = "team_plugin"
    macros = [team_greeting]
    timetables = [EveryOtherDayTimetable]
    listeners = [TeamListener()]
