"""A mapped task group: @task_group(...).expand over a literal and over an XComArg."""

import pendulum
from airflow.sdk import dag, task, task_group


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
def af3_mapped_task_group():
    @task
    def sources() -> list[str]:
        return ["s3", "gcs"]

    @task
    def fetch(source: str) -> str:
        return source

    @task
    def validate(payload: str) -> str:
        return payload

    @task_group
    def per_source(source: str):
        return validate(fetch(source))

    @task_group(group_id="per_number")
    def per_number(n: int):
        @task
        def square(v: int) -> int:
            return v * v

        return square(n)

    @task
    def gather(values):
        return list(values)

    gather(per_source.expand(source=sources()))
    per_number.expand(n=[1, 2, 3])


af3_mapped_task_group()
