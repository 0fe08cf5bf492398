"""Airflow 2's schedule_interval= argument, removed in Airflow 3."""

from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG("bad_schedule_interval", schedule_interval="@daily", start_date=datetime(2024, 1, 1)):
    EmptyOperator(task_id="t")
