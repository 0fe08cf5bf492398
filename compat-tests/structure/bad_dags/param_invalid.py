"""A Param whose default violates its own schema."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Param

with DAG("bad_param_default", schedule=None, params={"n": Param("not a number", type="integer")}):
    EmptyOperator(task_id="t")
