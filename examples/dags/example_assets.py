"""Assets between two DAGs: `example_asset_producer` updates an asset (a task `outlet`), and
`example_asset_consumer` is scheduled on that asset: each update creates a run of the consumer."""

from __future__ import annotations

import pendulum

from airflow.sdk import DAG, Asset, task

DAILY_SALES = Asset(name="daily_sales", uri="file:///tmp/riir_examples/daily_sales.csv")

with DAG(
    dag_id="example_asset_producer",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["example"],
):

    @task(outlets=[DAILY_SALES])
    def export_sales() -> int:
        return 42

    export_sales()

with DAG(
    dag_id="example_asset_consumer",
    schedule=[DAILY_SALES],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["example"],
):

    @task
    def load_sales() -> str:
        return "loaded"

    load_sales()
