"""A task that depends on itself."""

from airflow.models import DAG
from airflow.operators.empty import EmptyOperator

with DAG("bad_self_loop", schedule=None):
    lonely = EmptyOperator(task_id="lonely")
    lonely >> lonely
