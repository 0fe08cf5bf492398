"""The DAG both API servers serve in the api compat check (same ids as tests/broker/seed.py)."""

import pendulum
from airflow.sdk import DAG, task

with DAG("broker_example", schedule="0 0 * * *", start_date=pendulum.datetime(2025, 12, 1), catchup=False,
         tags=["example"]):  # fmt: skip

    @task
    def extract() -> dict:
        return {"task": "extract"}

    @task
    def transform(data: dict) -> dict:
        return data

    @task
    def load(data: dict) -> None:
        print(data)

    load(transform(extract()))
