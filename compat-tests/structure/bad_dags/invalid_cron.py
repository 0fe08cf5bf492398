"""A schedule string that is neither a preset nor a cron expression."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("bad_invalid_cron", schedule="every tuesday"):
    EmptyOperator(task_id="t")
