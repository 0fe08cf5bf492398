"""Expanding over an empty list: the mapped task is skipped, downstream rules see a skipped upstream."""

import datetime

from airflow.sdk import TriggerRule, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def mapping_empty():
    @task
    def nothing() -> list:
        return []

    @task
    def each(x: int) -> int:
        return x

    @task
    def reduce(values) -> list:
        return list(values)

    @task(trigger_rule=TriggerRule.NONE_FAILED)
    def reduce_tolerant(values) -> list:
        return list(values)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def after_all_done() -> str:
        return "ran"

    mapped = each.expand(x=nothing())
    reduce(mapped)
    reduce_tolerant(mapped)
    mapped >> after_all_done()
    each.override(task_id="literal_empty").expand(x=[])


mapping_empty()
