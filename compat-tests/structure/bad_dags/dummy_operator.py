"""DummyOperator's module is gone in Airflow 3."""

from airflow import DAG
from airflow.operators.dummy import DummyOperator

with DAG("bad_dummy_operator", schedule=None):
    DummyOperator(task_id="t")
