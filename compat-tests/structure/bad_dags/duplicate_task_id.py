"""Two tasks with the same task_id in one DAG."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("bad_duplicate_task_id", schedule=None):
    EmptyOperator(task_id="same")
    EmptyOperator(task_id="same")
