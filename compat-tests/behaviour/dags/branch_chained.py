"""Two branches in sequence; the second is itself on a skipped path for one lane."""

import datetime

from airflow.sdk import TriggerRule, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def branch_chained():
    @task.branch
    def first() -> str:
        return "second"

    @task.branch(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def second() -> str:
        return "y"

    @task
    def leaf(name: str) -> str:
        return name

    @task.branch
    def unreached() -> str:
        return "z"

    f = first()
    s = second()
    u = unreached()
    f >> [s, u]
    s >> [leaf.override(task_id="x")("x"), leaf.override(task_id="y")("y")]
    u >> leaf.override(task_id="z")("z")


branch_chained()
