"""default_args merging: DAG-level defaults, per-task overrides, TaskGroup default_args."""

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup

defaults = {
    "owner": "data-team",
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "pool": "shared_pool",
    "priority_weight": 5,
    "depends_on_past": True,
    "queue": "q1",
}

with DAG(
    "af3_default_args",
    default_args=defaults,
    schedule=None,
    start_date=pendulum.datetime(2023, 6, 1, tz="UTC"),
) as dag:
    plain = EmptyOperator(task_id="inherits_all")
    override = BashOperator(task_id="overrides", bash_command="echo hi", retries=0, owner="someone", pool="other")
    with TaskGroup("grp", default_args={"retries": 9, "priority_weight": 42}) as grp:
        inner = EmptyOperator(task_id="inner")
        inner_override = EmptyOperator(task_id="inner_override", retries=1)
    plain >> override >> grp
