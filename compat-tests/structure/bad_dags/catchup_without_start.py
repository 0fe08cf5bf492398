"""catchup=True on a scheduled DAG needs a start_date."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("bad_catchup_without_start", schedule="@daily", catchup=True):
    EmptyOperator(task_id="t")
