"""Every trigger rule downstream of upstreams that end success and skipped."""

import datetime

from airflow.sdk import TriggerRule, dag, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

OUTCOMES = ["success", "skipped"]


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def tr_success_skipped():
    @task
    def upstream(outcome: str) -> str:
        if outcome == "failed":
            raise AirflowFailException("failing on purpose")
        if outcome == "skipped":
            raise AirflowSkipException("skipping on purpose")
        return outcome

    ups = [upstream.override(task_id=f"up_{i}_{o}")(o) for i, o in enumerate(OUTCOMES)]
    for rule in TriggerRule:

        @task(task_id=f"rule_{rule.value}", trigger_rule=rule)
        def downstream(rule_name: str = rule.value) -> str:
            return rule_name

        ups >> downstream()


tr_success_skipped()
