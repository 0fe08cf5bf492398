"""Every trigger rule downstream of an upstream_failed task plus a successful one (failure two levels up)."""

import datetime

from airflow.sdk import TriggerRule, dag, task
from airflow.sdk.exceptions import AirflowFailException


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def tr_upstream_failed():
    @task
    def root_fails() -> None:
        raise AirflowFailException("root fails")

    @task
    def middle() -> str:
        return "never runs"

    @task
    def fine() -> str:
        return "fine"

    mid = middle()
    root_fails() >> mid
    ups = [mid, fine()]
    for rule in TriggerRule:

        @task(task_id=f"rule_{rule.value}", trigger_rule=rule)
        def downstream(rule_name: str = rule.value) -> str:
            return rule_name

        ups >> downstream()


tr_upstream_failed()
