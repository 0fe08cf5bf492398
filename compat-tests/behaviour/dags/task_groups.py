"""Task groups (nested, prefix_group_id=False, default_args per group) and dependencies between groups."""

import datetime

from airflow.sdk import TaskGroup, dag, task, task_group


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def task_groups():
    @task
    def step(label: str, **context) -> str:
        return f"{label}:{context['ti'].task_id}:{context['task'].retries}"

    @task_group(default_args={"retries": 2})
    def extract():
        a = step.override(task_id="a")("a")
        with TaskGroup("inner") as inner:
            step.override(task_id="b")("b")
        a >> inner

    with TaskGroup("flat", prefix_group_id=False) as flat:
        step.override(task_id="c")("c")

    extract() >> flat >> step.override(task_id="end")("end")


task_groups()
