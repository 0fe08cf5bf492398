"""Data-aware scheduling the Airflow 2 way: `from airflow import Dataset` (airflow.datasets itself is gone in 3.x)."""

import pendulum
from airflow import DAG, Dataset
from airflow.decorators import task
from airflow.operators.bash import BashOperator

raw = Dataset("file:///data/raw.csv")
curated = Dataset("file:///data/curated.parquet", extra={"team": "data"})

with DAG("af2_datasets_producer", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    BashOperator(task_id="produce_raw", bash_command="echo raw", outlets=[raw])

with DAG("af2_datasets_consumer", schedule=[raw]):

    @task(outlets=[curated])
    def curate():
        return None

    curate()

with DAG("af2_datasets_either", schedule=(raw | curated)):
    BashOperator(task_id="either", bash_command="echo either", inlets=[raw])
