"""A monthly and a daily schedule with catchup: with `catchup=True` each DAG gets one run per interval between
`start_date` and now (bounded here by `end_date`, so only a few runs are made); `{{ data_interval_start }}` and
`{{ ds }}` tell each run which period it covers."""

from __future__ import annotations

import pendulum

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(
    dag_id="example_catchup_monthly",
    schedule="@monthly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    end_date=pendulum.datetime(2024, 3, 31, tz="UTC"),
    catchup=True,
    tags=["example"],
):
    BashOperator(task_id="month_report", bash_command="echo 'month starting {{ data_interval_start | ds }}'")

with DAG(
    dag_id="example_catchup_daily",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    end_date=pendulum.datetime(2024, 1, 5, tz="UTC"),
    catchup=True,
    max_active_runs=2,
    tags=["example"],
):
    BashOperator(task_id="day_report", bash_command="echo 'day {{ ds }}'")
