"""@dag-decorated function with @task functions passing values (XComArg dependencies)."""

import pendulum
from airflow.sdk import dag, task


@dag(
    schedule="@hourly",
    start_date=pendulum.datetime(2024, 3, 1, tz="UTC"),
    tags=["taskflow"],
    description="etl by taskflow",
)
def af3_dag_decorator():
    @task
    def extract() -> dict:
        return {"a": 1, "b": 2}

    @task
    def transform(data: dict) -> int:
        return sum(data.values())

    @task(task_id="store_it", retries=2)
    def load(total: int, label: str) -> None:
        print(label, total)

    @task
    def side() -> str:
        return "x"

    raw = extract()
    total = transform(raw)
    load(total, side())


af3_dag_decorator()
