"""Uses the team plugin: its timetable (imported from the plugins folder, which is on sys.path) and its macro."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG
from team_plugin import EveryOtherDayTimetable

with DAG(
    "plugin_dag",
    schedule=EveryOtherDayTimetable(),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
):
    BashOperator(task_id="greet", bash_command="echo '{{ macros.team_plugin.team_greeting(\"riir\") }}'")
