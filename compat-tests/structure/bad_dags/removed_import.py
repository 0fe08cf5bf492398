"""Airflow 2 helpers removed in Airflow 3: days_ago."""

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.utils.dates import days_ago

with DAG("bad_removed_import", schedule=None, start_date=days_ago(1)):
    EmptyOperator(task_id="t")
