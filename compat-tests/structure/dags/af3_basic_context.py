"""Classic context-manager DAG with Airflow 3 imports: >>, <<, lists and DAG-level settings."""

import datetime

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    dag_id="af3_basic_context",
    description="context manager, bit shifts and lists",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    end_date=pendulum.datetime(2030, 1, 1, tz="UTC"),
    catchup=True,
    max_active_runs=3,
    max_active_tasks=7,
    dagrun_timeout=datetime.timedelta(hours=2),
    tags=["zeta", "alpha", "basics"],
    doc_md="# Basic\nA small graph.",
) as dag:
    begin = EmptyOperator(task_id="begin")
    left = EmptyOperator(task_id="left")
    right = EmptyOperator(task_id="right")
    middle = EmptyOperator(task_id="middle")
    join = EmptyOperator(task_id="join")
    finish = EmptyOperator(task_id="finish")

    begin >> [left, right, middle]
    join << [left, right]
    middle >> join
    finish << join
