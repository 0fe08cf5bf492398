"""Every standard operator from the provider's Airflow 3 paths."""

import datetime

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.datetime import BranchDateTimeOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.latest_only import LatestOnlyOperator
from airflow.providers.standard.operators.python import (
    BranchPythonOperator,
    PythonOperator,
    ShortCircuitOperator,
)
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.providers.standard.operators.weekday import BranchDayOfWeekOperator
from airflow.sdk import DAG


def hello(name):
    print("hello", name)


def is_weekday():
    return True


with DAG(
    "af3_operators",
    schedule="0 3 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Paris"),
    tags=["operators"],
):
    latest = LatestOnlyOperator(task_id="latest_only")
    py = PythonOperator(task_id="python", python_callable=hello, op_kwargs={"name": "x"})
    bash = BashOperator(task_id="bash", bash_command="echo $X", env={"X": "1"}, append_env=True)
    branch = BranchPythonOperator(task_id="branch", python_callable=lambda: "empty_a")
    empty_a = EmptyOperator(task_id="empty_a")
    empty_b = EmptyOperator(task_id="empty_b")
    short = ShortCircuitOperator(task_id="short", python_callable=is_weekday, ignore_downstream_trigger_rules=False)
    trigger = TriggerDagRunOperator(
        task_id="trigger", trigger_dag_id="af3_basic_context", conf={"k": "v"}, wait_for_completion=False
    )
    by_time = BranchDateTimeOperator(
        task_id="by_time",
        target_lower=datetime.time(8, 0),
        target_upper=datetime.time(18, 0),
        follow_task_ids_if_true=["in_hours"],
        follow_task_ids_if_false=["off_hours"],
    )
    in_hours = EmptyOperator(task_id="in_hours")
    off_hours = EmptyOperator(task_id="off_hours")
    by_day = BranchDayOfWeekOperator(
        task_id="by_day",
        week_day={"Saturday", "Sunday"},
        follow_task_ids_if_true="weekend",
        follow_task_ids_if_false="workday",
        use_task_logical_date=True,
    )
    weekend = EmptyOperator(task_id="weekend")
    workday = EmptyOperator(task_id="workday")

    latest >> py >> bash >> branch >> [empty_a, empty_b]
    empty_a >> short >> trigger
    by_time >> [in_hours, off_hours]
    by_day >> [weekend, workday]
