"""Two DAGs linked by an asset, for the CLI compat session (assets list, dags list with several DAGs)."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset

REPORT = Asset(name="cli_report", uri="file:///tmp/cli_report.csv")

with DAG(dag_id="cli_producer", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["compat"]):
    EmptyOperator(task_id="produce", outlets=[REPORT])

with DAG(dag_id="cli_consumer", schedule=[REPORT], start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    EmptyOperator(task_id="consume")
