"""The remaining standard operators through their legacy airflow.operators.* modules."""

from datetime import time

import pendulum
from airflow.models import DAG
from airflow.operators.datetime import BranchDateTimeOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.latest_only import LatestOnlyOperator
from airflow.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.operators.weekday import BranchDayOfWeekOperator

with DAG(
    "af2_operators_misc",
    schedule="@hourly",
    start_date=pendulum.datetime(2024, 2, 1, tz="UTC"),
    catchup=False,
    max_active_runs=2,
):
    latest = LatestOnlyOperator(task_id="latest")
    trigger = TriggerDagRunOperator(
        task_id="trigger_other",
        trigger_dag_id="af2_classic",
        trigger_run_id="triggered_{{ ts_nodash }}",
        reset_dag_run=True,
        poke_interval=30,
    )
    clock = BranchDateTimeOperator(
        task_id="clock",
        target_lower=time(0, 0),
        target_upper=time(6, 0),
        follow_task_ids_if_true="night",
        follow_task_ids_if_false="day",
    )
    weekday = BranchDayOfWeekOperator(
        task_id="weekday", week_day="Friday", follow_task_ids_if_true="friday", follow_task_ids_if_false="other"
    )
    latest >> trigger
    clock >> [EmptyOperator(task_id="night"), EmptyOperator(task_id="day")]
    weekday >> [EmptyOperator(task_id="friday"), EmptyOperator(task_id="other")]
