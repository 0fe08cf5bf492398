"""An example ETL DAG: extract a list of numbers, transform each one in a mapped task, load the total.

Runs unchanged under Apache Airflow 3 and under riir-airflow (through the `airflow` import alias).
"""

from __future__ import annotations

import pendulum

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, TaskGroup, task

with DAG(
    dag_id="example_etl",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"count": 5},
    tags=["example"],
    doc_md=__doc__,
):

    @task
    def extract(params: dict | None = None) -> list[int]:
        assert params is not None
        return list(range(1, params["count"] + 1))

    @task
    def square(x: int) -> int:
        return x * x

    @task
    def load(values: list[int]) -> int:
        total = sum(values)
        print(f"Loaded {len(values)} values, total {total}")
        return total

    with TaskGroup("report") as report:
        BashOperator(task_id="announce", bash_command="echo 'ETL for {{ ds }} done'")

    load(square.expand(x=extract())) >> report
