"""fail_fast DAGs only allow the default trigger rule."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("bad_fail_fast_rule", schedule=None, fail_fast=True):
    EmptyOperator(task_id="first") >> EmptyOperator(task_id="tolerant", trigger_rule="all_done")
