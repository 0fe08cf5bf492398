"""Defines dag id bad_duplicate_dag_id; duplicate_dag_id_b.py defines it again."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("bad_duplicate_dag_id", schedule=None):
    EmptyOperator(task_id="from_a")
