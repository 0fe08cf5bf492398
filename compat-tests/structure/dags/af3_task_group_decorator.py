"""@task_group functions, nested and called more than once (group ids get suffixes)."""

import pendulum
from airflow.sdk import dag, task, task_group


@task
def produce(n: int) -> int:
    return n


@task
def double(x: int) -> int:
    return 2 * x


@task_group
def inner(value):
    return double(value)


@task_group(group_id="outer_group", tooltip="outer", default_args={"retries": 4})
def outer(start: int):
    first = produce(start)
    return inner(first)


@dag(start_date=pendulum.datetime(2024, 1, 1), schedule=None)
def af3_task_group_decorator():
    one = outer(1)
    two = outer(2)

    @task
    def combine(a, b):
        return a + b

    combine(one, two)


af3_task_group_decorator()
