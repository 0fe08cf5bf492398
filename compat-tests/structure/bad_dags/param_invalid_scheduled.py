"""A scheduled DAG whose Param default violates its schema: rejected at construction."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Param

with DAG("bad_param_scheduled", schedule="@daily", params={"n": Param("not a number", type="integer")}):
    EmptyOperator(task_id="t")
