"""Per-task execution settings: retries, retry_delay, owner, pool, pool_slots, priority_weight, weight_rule, queue."""

from datetime import timedelta

from airflow.models import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator

with DAG(
    "af2_retries_pool_priority",
    schedule=None,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=30), "owner": "team_a", "weight_rule": "upstream"},
):
    a = BashOperator(
        task_id="a",
        bash_command="exit 0",
        retries=5,
        retry_exponential_backoff=2.0,
        max_retry_delay=timedelta(minutes=10),
        pool="etl",
        pool_slots=2,
        priority_weight=100,
        weight_rule="absolute",
        queue="high",
        execution_timeout=timedelta(minutes=15),
    )
    b = EmptyOperator(task_id="b", priority_weight=3)
    c = EmptyOperator(task_id="c", owner="team_b", weight_rule="downstream")
    d = EmptyOperator(task_id="d", depends_on_past=True, wait_for_downstream=True)
    e = EmptyOperator(task_id="e", retries=0, do_xcom_push=False)
    a >> b >> [c, d] >> e
