"""A small ETL DAG for the CLI compat session: TaskFlow, a classic operator, a task group, params."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, TaskGroup, task

with DAG(
    dag_id="cli_etl",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"count": 3},
    tags=["compat", "etl"],
    description="CLI compat DAG",
):

    @task
    def extract(params: dict | None = None) -> list[int]:
        assert params is not None
        return list(range(params["count"]))

    @task
    def load(values: list[int]) -> int:
        return sum(values)

    with TaskGroup("report"):
        announce = BashOperator(task_id="announce", bash_command="echo 'done for {{ ds }}'")

    load(extract()) >> announce
