"""A daily DAG for the backfill test (one quick task)."""

import pendulum
from airflow.sdk import DAG, task

with DAG(
    "ui_daily",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["ui"],
    max_active_runs=1,
) as dag:

    @task
    def tick(ds=None):
        print(f"tick {ds}")

    tick()
