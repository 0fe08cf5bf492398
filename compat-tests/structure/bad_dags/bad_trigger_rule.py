"""A task with a trigger rule that does not exist."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("bad_trigger_rule", schedule=None):
    EmptyOperator(task_id="weird", trigger_rule="sometimes")
