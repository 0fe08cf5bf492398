"""Execution settings with Airflow 3 imports: WeightRule enum, pools, priorities, retries on @task and operators."""

from datetime import timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, WeightRule, task

with DAG("af3_retries_pool_priority", schedule=None, default_args={"pool": "default_pool", "retries": 2}):

    @task(retries=4, retry_delay=timedelta(seconds=5), priority_weight=7, weight_rule=WeightRule.UPSTREAM)
    def heavy():
        return 1

    @task(pool="tiny", pool_slots=1, owner="alice", queue="gpu")
    def light():
        return 2

    first = EmptyOperator(task_id="first", weight_rule=WeightRule.ABSOLUTE, priority_weight=50)
    last = EmptyOperator(task_id="last", retries=0)
    first >> [heavy(), light()] >> last
