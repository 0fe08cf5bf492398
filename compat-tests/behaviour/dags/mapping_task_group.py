"""A mapped task group: each expansion runs the group's chain; reduce after the group; map_index per member."""

import datetime

from airflow.sdk import dag, task, task_group


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def mapping_task_group():
    @task
    def seed() -> list:
        return [1, 2, 3]

    @task_group
    def process(n: int):
        @task
        def inc(x: int) -> int:
            return x + 1

        @task
        def square(x: int) -> int:
            return x * x

        return square(inc(n))

    @task
    def collect(values) -> list:
        return sorted(values)

    collect(process.expand(n=seed()))


mapping_task_group()
