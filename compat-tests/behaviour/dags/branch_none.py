"""A branch returning None skips every direct downstream; one returning an empty list does the same."""

import datetime

from airflow.sdk import TriggerRule, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def branch_none():
    @task.branch
    def nothing() -> None:
        return None

    @task.branch
    def empty() -> list:
        return []

    @task
    def leaf(name: str) -> str:
        return name

    nothing() >> [leaf.override(task_id="n1")("n1"), leaf.override(task_id="n2")("n2")]
    e = empty()
    e >> leaf.override(task_id="e1")("e1")
    e >> leaf.override(task_id="e_all_done", trigger_rule=TriggerRule.ALL_DONE)("e_all_done")


branch_none()
