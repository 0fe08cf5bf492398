"""Branching into a task group by group id and by a task inside a nested group."""

import datetime

from airflow.sdk import TaskGroup, TriggerRule, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def branch_task_group():
    @task
    def step(label: str) -> str:
        return label

    @task.branch
    def choose() -> list[str]:
        return ["group_a", "group_b.inner.deep"]

    with TaskGroup("group_a") as group_a:
        step.override(task_id="a1")("a1") >> step.override(task_id="a2")("a2")

    with TaskGroup("group_b") as group_b:
        b1 = step.override(task_id="b1")("b1")
        with TaskGroup("inner"):
            deep = step.override(task_id="deep")("deep")
            shallow = step.override(task_id="shallow")("shallow")
        b1 >> deep

    other = step.override(task_id="other")("other")
    c = choose()
    c >> [group_a, group_b, other]
    [group_a, group_b, other] >> step.override(task_id="end", trigger_rule=TriggerRule.NONE_FAILED)("end")
    shallow >> step.override(task_id="after_shallow")("after shallow")


branch_task_group()
